/**
 * Optional inputs of a notebook: files it reads that a new checkout may not have (the CDNOW sample
 * lives beside the repository, not in it). A notebook declares them in its metadata,
 *
 *   "customer_intelligence": { "inputs": [{ "name": "the CDNOW sample", "variable": "CRM_CDNOW_FILE",
 *                                            "default": "../shared/data/cdnow/CDNOW_sample.txt" }] }
 *
 * and `npm run notebooks` skips it with a message naming the file and the variable when one is
 * missing, instead of failing at its first cell (issue 15: a new user's run exited 1 although the
 * notebooks that could run passed). Read by the runner only, never by a kernel.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadVariables, VARIABLES, type Env, type VariableName } from '../../lib/config/schema.ts';

export interface NotebookInput {
  /** What the file is, for the message ("the CDNOW sample"). */
  name: string;
  /** Environment variable that overrides the path; declared in lib/config/schema.ts. */
  variable: string;
  /** Path used when the variable is unset, relative to the repository root. */
  default: string;
}

/** Bad metadata is the notebook author's mistake: say which notebook and which field. */
export class NotebookInputError extends Error {}

/** The declared inputs, checked: each has a name, a variable the config schema knows, a default. */
export function declaredInputs(notebook: string, metadata: unknown): NotebookInput[] {
  const inputs = (metadata as { customer_intelligence?: { inputs?: unknown } } | undefined)?.customer_intelligence?.inputs;
  if (inputs === undefined) return [];
  if (!Array.isArray(inputs)) throw new NotebookInputError(`${notebook}: metadata customer_intelligence.inputs must be a list`);
  return inputs.map((raw: unknown, i) => {
    const where = `${notebook}: metadata customer_intelligence.inputs[${i}]`;
    const input = (raw ?? {}) as Partial<Record<keyof NotebookInput, unknown>>;
    for (const field of ['name', 'variable', 'default'] as const) {
      if (typeof input[field] !== 'string' || input[field] === '') throw new NotebookInputError(`${where}.${field} must be a non-empty string`);
    }
    if (!Object.hasOwn(VARIABLES, input.variable as string)) {
      throw new NotebookInputError(`${where}.variable: ${String(input.variable)} is not declared in lib/config/schema.ts`);
    }
    return input as NotebookInput;
  });
}

/** Where the input is read from: the variable when set, else the default under `root`. */
export function inputPath(input: NotebookInput, env: Env, root: string): string {
  const name = input.variable as VariableName;
  const set = (loadVariables([name], env) as Record<string, unknown>)[name];
  return typeof set === 'string' && set !== '' ? resolve(root, set) : resolve(root, input.default);
}

/** Why the notebook is skipped (its first missing input, and how to provide it), or undefined. */
export function missingInput(inputs: NotebookInput[], env: Env, root: string, exists: (path: string) => boolean = existsSync): string | undefined {
  for (const input of inputs) {
    const path = inputPath(input, env, root);
    if (!exists(path)) return `skipped: ${input.name} is not at ${path} (put it there, or set ${input.variable} to where it is)`;
  }
  return undefined;
}
