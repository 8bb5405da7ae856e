// Types of build-dirs.js (plain JavaScript because web/svelte.config.js imports it).
export const WEB_ROOT: string;
export const BUILD_LINK: string;
export const BUILDS_DIR: string;
export const KEEP_PREVIOUS: number;
export function newBuildDir(): string;
export function switchBuild(dir: string): void;
export function currentBuildDir(): string | undefined;
export function claimBuild(dir: string): () => void;
export function listBuilds(buildsDir?: string): string[];
export function pruneBuilds(keep?: number): string[];
export function pruneBuildsIn(buildsDir: string, current: string | undefined, keep: number): string[];
