/**
 * `npm run notebooks`: executes the analyst notebooks headless against the running product and
 * writes the executed copies and their HTML to .out/notebooks (not committed).
 *
 *   npm run notebooks                      # all notebooks
 *   npm run notebooks -- clv               # those whose file name contains "clv"
 *   npm run notebooks -- --register-only   # only register the kernel (for `jupyter notebook`)
 *
 * Steps: check that Jupyter (Debian's nbconvert/nbclient) is installed; register the TypeScript
 * kernel (tslab under tsx) inside the project, in .out/jupyter; check that the services a notebook
 * needs (notebook metadata `customer_intelligence.needs`) answer; then per notebook
 * `python3 -m nbconvert --to notebook --execute` and `--to html`. A failing cell fails the run with
 * the notebook, the cell number and what the cell printed; exit code 1. A notebook whose optional
 * input file is missing (metadata `customer_intelligence.inputs`, notebooks/lib/inputs.ts) is
 * skipped with a message saying where the file should be; skips alone do not fail the run.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { loadVariables } from '../lib/config/schema.ts';
import { isAlive, readEndpoint } from '../lib/warehouse/embedded/data-dir.ts';
import { declaredInputs, missingInput, NotebookInputError } from './lib/inputs.ts';
import { semanticUrl } from './lib/semantic.ts';

type Env = Record<string, string | undefined>;

export const NOTEBOOKS_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(NOTEBOOKS_DIR, '..');
export const DEFAULT_OUT_DIR = join(ROOT, '.out', 'notebooks');
export const DEFAULT_KERNEL_DIR = join(ROOT, '.out', 'jupyter');
/** The kernel the notebooks name in their metadata. */
export const KERNEL_NAME = 'customer-intelligence-ts';
const HOOKS = join(NOTEBOOKS_DIR, 'nbconvert_hooks.py');

export const SETUP_HINT =
  'install Jupyter with `bash bin/setup-system.sh` (or: sudo apt-get install -y --no-install-recommends jupyter-notebook python3-nbconvert python3-ipykernel)';

export class NotebookSetupError extends Error {}

export interface CellFailure {
  /** 1-based, counting every cell (markdown too), as Jupyter's UI shows them. */
  cell: number;
  source: string;
  /** What the cell printed on stderr (tslab's TypeScript diagnostics and stack traces). */
  output: string;
}

export interface NotebookResult {
  notebook: string;
  /** False when it failed; true when it ran, or was skipped (then `skipped` says why). */
  ok: boolean;
  /** Not run because an optional input is missing: where it should be and which variable moves it. */
  skipped?: string;
  seconds: number;
  /** Executed copy (partial when a cell failed) and its HTML. */
  executed?: string;
  html?: string;
  failure?: CellFailure;
  /** Why it failed when no cell did (a needed service is down, the kernel died, a timeout). */
  error?: string;
}

export interface RunOptions {
  /** Notebook files, or substrings of their names (default: every notebooks/*.ipynb). */
  notebooks?: string[];
  outDir?: string;
  kernelDir?: string;
  /** Environment of the kernel (default process.env); CRM_SEMANTIC_URL, CRM_DATA_DIR, CLICKHOUSE_* find the product. */
  env?: Env;
  /** Per-cell timeout (default 1800 s: the churn evaluation trains a forest). */
  cellTimeoutSeconds?: number;
  html?: boolean;
  /** Python with nbconvert (default CRM_JUPYTER_PYTHON, else /usr/bin/python3, else python3). */
  python?: string;
  log?: (line: string) => void;
}

export function jupyterPython(env: Env = process.env): string {
  return loadVariables(['CRM_JUPYTER_PYTHON'], env).CRM_JUPYTER_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
}

interface Spawned {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], env: Env, cwd = ROOT): Promise<Spawned> {
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, args, { cwd, env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (error) => resolvePromise({ code: null, stdout, stderr: stderr + String(error) }));
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

/** Throws NotebookSetupError, saying how to install what is missing. */
export async function checkJupyter(python: string, env: Env = process.env): Promise<void> {
  const r = await run(python, ['-c', 'import nbconvert, nbclient, nbformat, jupyter_client'], env);
  if (r.code !== 0) {
    const why = r.stderr.trim().split('\n').pop() ?? `exit ${r.code}`;
    throw new NotebookSetupError(`Jupyter is not available to ${python} (${why}): ${SETUP_HINT}`);
  }
}

export interface RegisteredKernel {
  name: string;
  /** Directory to put on JUPYTER_PATH. */
  jupyterPath: string;
  specFile: string;
}

/**
 * Writes the kernel spec under `<kernelDir>/share/jupyter/kernels/<name>` (found by Jupyter through
 * JUPYTER_PATH; nothing in the user's home). The kernel is tslab run by this Node with tsx loaded,
 * so that cells can import the project's TypeScript modules (notebooks/lib/project.ts). Written on
 * every run: the paths are absolute and follow the current checkout and Node.
 */
/**
 * The executed notebooks hold the company's figures (revenue by month, segments' value, model
 * metrics; the kernel's runtime directory its connection files) and nbconvert writes them with the
 * umask's modes (0644): created 0700, so other users of the machine cannot read them. The default
 * directories are tightened when an earlier run left them open; a directory given with --out that
 * exists already is the user's and keeps its mode (sixth security review).
 */
export function privateDir(dir: string, tighten = false): void {
  const created = !existsSync(dir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if ((created || tighten) && st.isDirectory() && st.uid === process.getuid?.() && (st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

export function registerKernel(kernelDir: string = DEFAULT_KERNEL_DIR): RegisteredKernel {
  const require = createRequire(import.meta.url);
  let tslab: string;
  try {
    tslab = join(dirname(require.resolve('tslab/package.json')), 'bin', 'tslab');
  } catch {
    throw new NotebookSetupError('tslab is not installed: run `npm install`');
  }
  const tsx = import.meta.resolve('tsx');
  const dir = join(kernelDir, 'share', 'jupyter', 'kernels', KERNEL_NAME);
  mkdirSync(dir, { recursive: true });
  const spec = {
    argv: [process.execPath, '--import', tsx, tslab, 'kernel', '--config-path', '{connection_file}'],
    display_name: 'TypeScript (customer intelligence)',
    language: 'typescript',
    metadata: { registered_by: 'notebooks/run.ts', project: ROOT },
  };
  const specFile = join(dir, 'kernel.json');
  writeFileSync(specFile, `${JSON.stringify(spec, null, 2)}\n`);
  return { name: KERNEL_NAME, jupyterPath: join(kernelDir, 'share', 'jupyter'), specFile };
}

/** Every notebook in notebooks/, sorted; `filters` keep those whose path or name contains one of them. */
export function listNotebooks(filters: string[] = []): string[] {
  const all = readdirSync(NOTEBOOKS_DIR)
    .filter((f) => f.endsWith('.ipynb'))
    .sort()
    .map((f) => join(NOTEBOOKS_DIR, f));
  if (filters.length === 0) return all;
  return filters.flatMap((f) => {
    if (f.endsWith('.ipynb') && existsSync(f)) return [resolve(f)];
    const hits = all.filter((p) => basename(p).includes(f));
    if (hits.length === 0) throw new NotebookSetupError(`no notebook matches "${f}" (have: ${all.map((p) => basename(p)).join(', ')})`);
    return hits;
  });
}

interface NotebookJson {
  cells: { cell_type: string; source: string | string[]; outputs?: unknown[]; execution_count?: number | null }[];
  metadata?: { customer_intelligence?: { needs?: string[]; inputs?: unknown } };
}

async function answers(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(5_000) });
    return true;
  } catch {
    return false;
  }
}

/** Why a needed service cannot be reached, or undefined when it can. */
export async function serviceProblem(service: string, env: Env): Promise<string | undefined> {
  if (service === 'semantic') {
    const url = semanticUrl(env);
    return (await answers(`${url}/v1/meta`)) ? undefined : `the semantic API at ${url} does not answer (CRM_SEMANTIC_URL)`;
  }
  if (service === 'warehouse') {
    // Read through the config schema, which knows these variables' defaults and checks.
    const { CLICKHOUSE_URL: url, CRM_DATA_DIR: dataDir } = loadVariables(['CLICKHOUSE_URL', 'CRM_DATA_DIR'], env);
    if (url) return (await answers(new URL('/ping', url).href)) ? undefined : `ClickHouse at ${url} does not answer (CLICKHOUSE_URL)`;
    const record = readEndpoint(dataDir);
    if (record && isAlive(record.pid) && (await answers(new URL('/ping', record.url).href))) return undefined;
    return `no running warehouse for the data directory ${dataDir} (CRM_DATA_DIR)`;
  }
  return `unknown service "${service}" in the notebook's metadata`;
}

function clip(text: string, lines = 40): string {
  const all = text.trimEnd().split('\n');
  return all.length <= lines ? all.join('\n') : [...all.slice(0, lines), `… (${all.length - lines} more lines)`].join('\n');
}

/** One line per failure, naming the notebook and the cell, then what the cell printed. */
export function describeFailure(r: NotebookResult): string {
  const name = basename(r.notebook);
  if (r.failure) {
    const first = r.failure.source.split('\n').find((l) => l.trim() !== '') ?? '';
    return `${name}: cell ${r.failure.cell} failed (${first.trim().slice(0, 100)})\n${clip(r.failure.output) || '(the cell printed nothing)'}${r.executed ? `\n  executed so far: ${relative(process.cwd(), r.html ?? r.executed)}` : ''}`;
  }
  return `${name}: ${r.error ?? 'failed'}`;
}

async function executeNotebook(
  path: string,
  ctx: { python: string; env: Env; outDir: string; timeout: number; html: boolean; log: (line: string) => void },
): Promise<NotebookResult> {
  const t0 = performance.now();
  const name = basename(path, '.ipynb');
  const executed = join(ctx.outDir, `${name}.ipynb`);
  const html = join(ctx.outDir, `${name}.html`);
  const failureFile = join(ctx.outDir, `${name}.failure.json`);
  for (const f of [executed, html, failureFile]) rmSync(f, { force: true });
  const seconds = (): number => (performance.now() - t0) / 1000;

  const nb = JSON.parse(readFileSync(path, 'utf8')) as NotebookJson;
  // Before the services: a notebook that cannot run here is skipped whether or not the product is up.
  const skipped = missingInput(declaredInputs(basename(path), nb.metadata), ctx.env, ROOT);
  if (skipped) return { notebook: path, ok: true, skipped, seconds: seconds() };
  for (const service of nb.metadata?.customer_intelligence?.needs ?? []) {
    const problem = await serviceProblem(service, ctx.env);
    if (problem) {
      return { notebook: path, ok: false, seconds: seconds(), error: `needs the running product, but ${problem}: start it with \`npm start\` in another terminal, then run this again` };
    }
  }

  const env: Env = { ...ctx.env, CRM_NOTEBOOK_FAILURE: failureFile, CRM_NOTEBOOK_PARTIAL: executed };
  const r = await run(
    ctx.python,
    [
      '-m', 'nbconvert',
      '--config', HOOKS,
      '--to', 'notebook',
      '--execute',
      `--ExecutePreprocessor.kernel_name=${KERNEL_NAME}`,
      `--ExecutePreprocessor.timeout=${ctx.timeout}`,
      '--ExecutePreprocessor.startup_timeout=120',
      '--output-dir', ctx.outDir,
      '--output', name,
      path,
    ],
    env,
  );
  let result: NotebookResult;
  if (r.code === 0) {
    result = { notebook: path, ok: true, seconds: 0, executed };
  } else if (existsSync(failureFile)) {
    const f = JSON.parse(readFileSync(failureFile, 'utf8')) as { cell: number; source: string; stderr: string; error: string };
    rmSync(failureFile, { force: true });
    result = {
      notebook: path,
      ok: false,
      seconds: 0,
      executed: existsSync(executed) ? executed : undefined,
      failure: { cell: f.cell + 1, source: f.source, output: [f.error, f.stderr].filter(Boolean).join('\n') },
    };
  } else {
    // No cell failed: the kernel did not start or died, a cell timed out, or nbconvert itself failed.
    const lines = r.stderr.trim().split('\n');
    result = { notebook: path, ok: false, seconds: 0, error: `nbconvert exited with ${r.code}:\n${clip(lines.slice(-25).join('\n'))}` };
  }
  if (ctx.html && result.executed) {
    const h = await run(ctx.python, ['-m', 'nbconvert', '--to', 'html', '--output-dir', ctx.outDir, '--output', name, result.executed], env);
    if (h.code === 0) result.html = html;
    else ctx.log(`${name}: HTML export failed: ${h.stderr.trim().split('\n').pop()}`);
  }
  result.seconds = seconds();
  return result;
}

/**
 * Registers the kernel and executes the notebooks one after another (each starts its own kernel;
 * on two cores, in parallel they would only slow each other down). Throws NotebookSetupError when
 * Jupyter or tslab is missing; a failing notebook is a result with ok = false.
 */
export async function runNotebooks(opts: RunOptions = {}): Promise<NotebookResult[]> {
  const log = opts.log ?? ((line: string) => console.error(`[notebooks] ${line}`));
  const baseEnv: Env = { ...process.env, ...opts.env };
  const python = opts.python ?? jupyterPython(baseEnv);
  await checkJupyter(python, baseEnv);
  const kernelDir = resolve(opts.kernelDir ?? DEFAULT_KERNEL_DIR);
  const kernel = registerKernel(kernelDir);
  const outDir = resolve(opts.outDir ?? DEFAULT_OUT_DIR);
  privateDir(outDir, outDir === DEFAULT_OUT_DIR);
  const runtimeDir = join(kernelDir, 'runtime');
  privateDir(kernelDir, kernelDir === DEFAULT_KERNEL_DIR);
  privateDir(runtimeDir, true);
  const env: Env = {
    ...baseEnv,
    JUPYTER_PATH: [kernel.jupyterPath, baseEnv.JUPYTER_PATH].filter(Boolean).join(':'),
    // Connection files of the kernels go here, not into the user's home.
    JUPYTER_RUNTIME_DIR: runtimeDir,
  };
  const notebooks = listNotebooks(opts.notebooks);
  const results: NotebookResult[] = [];
  for (const nb of notebooks) {
    log(`${basename(nb)}: executing…`);
    const r = await executeNotebook(nb, { python, env, outDir, timeout: opts.cellTimeoutSeconds ?? 1800, html: opts.html ?? true, log });
    log(
      r.skipped
        ? `${basename(nb)}: ${r.skipped}`
        : r.ok
        ? `${basename(nb)}: ok in ${r.seconds.toFixed(1)} s → ${relative(process.cwd(), r.html ?? r.executed ?? outDir)}`
        : `${basename(nb)}: FAILED ${r.failure ? `at cell ${r.failure.cell} after ${r.seconds.toFixed(1)} s` : `(${r.error?.split(':')[0] ?? 'not run'})`}`,
    );
    results.push(r);
  }
  return results;
}

const HELP = `Usage: npm run notebooks [-- [options] [name…]]

Executes the notebooks in notebooks/ headless (Jupyter nbconvert, TypeScript kernel tslab) against
the running product and writes the executed notebooks and their HTML to .out/notebooks.
Start the product first, in another terminal: npm start

Options:
  --out DIR          output directory (default .out/notebooks)
  --no-html          executed notebooks only
  --register-only    register the kernel in .out/jupyter and print how to open the notebooks
  --help

A notebook whose input file is missing (the CLV notebook without the CDNOW sample) is skipped with
a message saying where the file should be. Exit code: 0 when every notebook ran or was skipped so,
1 when one failed, 2 when Jupyter or tslab is missing.

Environment: CRM_SEMANTIC_URL (default http://127.0.0.1:4000/cubejs-api), CRM_CUBE_TOKEN (default:
minted with the product's secret), CRM_DATA_DIR (default ./.data) or CLICKHOUSE_URL/USER/PASSWORD,
CRM_NOTEBOOK_TREES (trees of the churn evaluation forest), CRM_CDNOW_FILE, CRM_JUPYTER_PYTHON.`;

/** One line per notebook for the end of the run: ok, skipped (and why) or FAILED. */
export function summaryLines(results: NotebookResult[]): string[] {
  return results.map((r) => {
    const status = r.skipped ? 'skipped' : r.ok ? 'ok     ' : 'FAILED ';
    const tail = r.skipped ? r.skipped.replace(/^skipped: /, '') : `${r.seconds.toFixed(1).padStart(6)} s`;
    return `${status} ${basename(r.notebook).padEnd(40)} ${tail}`;
  });
}

/** 0 when every notebook ran or was skipped for a missing optional input, 1 when one failed. */
export function exitCode(results: NotebookResult[]): 0 | 1 {
  return results.some((r) => !r.ok) ? 1 : 0;
}

/** The CLI; returns the exit code (0 ok or skipped, 1 a notebook failed, 2 setup missing). */
export async function main(argv: string[], env: Env = process.env): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { out: { type: 'string' }, 'no-html': { type: 'boolean' }, 'register-only': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  try {
    if (values['register-only']) {
      await checkJupyter(jupyterPython(env), env);
      const kernel = registerKernel();
      console.log(
        [
          `Kernel "${kernel.name}" registered in ${relative(process.cwd(), kernel.specFile)}. Open the notebooks with:`,
          '',
          `  JUPYTER_PATH=${kernel.jupyterPath} jupyter notebook notebooks/`,
          '',
          'and pick the kernel "TypeScript (customer intelligence)" if asked.',
        ].join('\n'),
      );
      return 0;
    }
    const results = await runNotebooks({ notebooks: positionals, outDir: values.out, html: !values['no-html'], env });
    const failed = results.filter((r) => !r.ok);
    console.log(summaryLines(results).join('\n'));
    if (failed.length) console.error(`\n${failed.map(describeFailure).join('\n\n')}`);
    return exitCode(results);
  } catch (error) {
    if (error instanceof NotebookSetupError || error instanceof NotebookInputError) {
      console.error(`notebooks: ${error.message}`);
      return 2;
    }
    throw error;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
