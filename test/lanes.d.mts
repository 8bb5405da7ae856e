// Types of test/lanes.mjs (plain JavaScript, so test/run.mjs runs without a TypeScript loader).
export declare const LANES: string[];
export declare const NODE_TESTS: Record<string, string[]>;
export declare function assignLanes(
  files: string[],
  read: (file: string) => string,
): { lanes: Record<string, string[]>; problems: string[] };
