/**
 * The analyst notebooks (notebooks/*.ipynb), executed the way `npm run notebooks` executes them:
 * headless through Jupyter's nbconvert with the project's TypeScript kernel, against a running
 * product — here one started inside the test (temp embedded warehouse, the demo world at 1,000
 * customers, derived tables, churn and CLV scores, the semantic layer on a free port).
 *
 * Also: the committed notebooks carry no outputs; the runner fails, naming the notebook and the cell,
 * when a cell fails (a TypeScript error or an exception), and says how to start the product when it
 * is not running; notebooks/lib/project.ts's declarations match the real modules.
 *
 * Needs Jupyter from Debian (bin/setup-system.sh installs it; npm test runs that first). Without it
 * these tests fail and say how to install it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cdnowAvailable, CDNOW_FILE } from '../../models/clv/cdnow.ts';
import {
  checkJupyter,
  describeFailure,
  jupyterPython,
  KERNEL_NAME,
  listNotebooks,
  main,
  runNotebooks,
  type NotebookResult,
} from '../../notebooks/run.ts';
import { startNotebookProduct, type NotebookProduct } from './product.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Notebook {
  metadata: { kernelspec?: { name?: string }; customer_intelligence?: { needs?: string[] } };
  cells: { cell_type: string; source: string[] | string; outputs?: { output_type: string; name?: string; text?: string[] | string; data?: Record<string, string[] | string> }[]; execution_count?: number | null }[];
  nbformat: number;
}

const readNotebook = (path: string): Notebook => JSON.parse(readFileSync(path, 'utf8')) as Notebook;
const text = (v: string[] | string | undefined): string => (Array.isArray(v) ? v.join('') : (v ?? ''));

/** A notebook file with these code cells, for the kernel this project registers. */
function writeNotebook(path: string, cells: string[], needs: string[] = [], inputs: object[] = []): string {
  const nb = {
    cells: cells.map((source, i) => ({ cell_type: 'code', id: `c${i}`, metadata: {}, execution_count: null, outputs: [], source })),
    metadata: {
      customer_intelligence: { needs, inputs },
      kernelspec: { name: KERNEL_NAME, display_name: 'TypeScript (customer intelligence)', language: 'typescript' },
    },
    nbformat: 4,
    nbformat_minor: 5,
  };
  writeFileSync(path, JSON.stringify(nb, null, 1));
  return path;
}

function failures(results: NotebookResult[]): string {
  return results
    .filter((r) => !r.ok)
    .map(describeFailure)
    .join('\n\n');
}

/** tsc on project-api.check.ts, started first and awaited by the last test: it runs while the others wait for kernels. */
function typeCheck(): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const child = spawn(process.execPath, [tsc, '--noEmit', '--pretty', 'false', '-p', join(ROOT, 'test', 'notebooks', 'tsconfig.check.json')], { cwd: ROOT });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => resolve({ code, out }));
  });
}

let tmp: string;
let typecheck: Promise<{ code: number | null; out: string }>;
before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'crm-notebooks-'));
  typecheck = typeCheck();
  // Fails every test of this file, saying how to install Jupyter, when it is missing.
  await checkJupyter(jupyterPython());
});
after(async () => {
  await typecheck;
  rmSync(tmp, { recursive: true, force: true });
});

test('the committed notebooks carry no outputs and name the project kernel', () => {
  const notebooks = listNotebooks();
  assert.ok(notebooks.length >= 3, `expected the three notebooks, found ${notebooks.map((p) => basename(p)).join(', ')}`);
  for (const path of notebooks) {
    const nb = readNotebook(path);
    const name = relative(ROOT, path);
    assert.equal(nb.nbformat, 4, `${name}: nbformat`);
    assert.equal(nb.metadata.kernelspec?.name, KERNEL_NAME, `${name}: kernel`);
    nb.cells.forEach((c, i) => {
      if (c.cell_type !== 'code') return;
      assert.deepEqual(c.outputs, [], `${name}: cell ${i + 1} has outputs: clear them before committing`);
      assert.equal(c.execution_count, null, `${name}: cell ${i + 1} has an execution count: clear outputs before committing`);
    });
    for (const need of nb.metadata.customer_intelligence?.needs ?? []) assert.ok(['semantic', 'warehouse'].includes(need), `${name}: unknown need ${need}`);
  }
});

describe('the runner', () => {
  // One throwaway notebook (each costs a kernel start). A TypeScript error fails a cell the same way
  // an exception does: tslab answers "error" and prints the diagnostics on the cell's stderr.
  test('fails naming the notebook and the cell, and keeps what ran', async () => {
    const path = writeNotebook(join(tmp, 'planted-failure.ipynb'), ['const a: number = 1;', 'console.log("first");', 'throw new Error("planted failure in cell three");', 'console.log("never runs");']);
    const [r] = await runNotebooks({ notebooks: [path], outDir: join(tmp, 'out'), kernelDir: join(tmp, 'jupyter'), html: true, log: () => {} });
    assert.equal(r.ok, false);
    assert.equal(r.failure?.cell, 3, describeFailure(r));
    assert.match(r.failure!.output, /planted failure in cell three/);
    assert.match(describeFailure(r), /^planted-failure\.ipynb: cell 3 failed \(throw new Error\("planted failure in cell three"\);\)\n[\s\S]*Error: planted failure in cell three/);
    // The partial notebook is kept (and exported): the cells before the failure ran, the ones after did not.
    const partial = readNotebook(r.executed!);
    assert.match(text(partial.cells[1].outputs?.[0]?.text), /first/);
    assert.deepEqual(partial.cells[3].outputs, []);
    assert.ok(r.html, 'HTML of the partial notebook');
  });

  test('without a running product: exit code 1 and how to start it', async () => {
    const nb = writeNotebook(join(tmp, 'needs-product.ipynb'), ['console.log("never runs");'], ['semantic', 'warehouse']);
    const lines: string[] = [];
    const { log, error } = console;
    console.log = console.error = (...args: unknown[]) => void lines.push(args.join(' '));
    let code: number;
    try {
      code = await main([nb, '--out', join(tmp, 'out'), '--no-html'], { CRM_SEMANTIC_URL: 'http://127.0.0.1:9/cubejs-api', CRM_DATA_DIR: join(tmp, 'no-data') });
    } finally {
      Object.assign(console, { log, error });
    }
    assert.equal(code, 1);
    const out = lines.join('\n');
    assert.match(out, /needs-product\.ipynb: needs the running product, but the semantic API at http:\/\/127\.0\.0\.1:9\/cubejs-api does not answer/);
    assert.match(out, /start it with `npm start` in another terminal/);
  });

  // Cheap: the input is checked before any kernel starts.
  test('a notebook whose optional input is missing is skipped with the reason, and the run exits 0', async () => {
    const absent = join(tmp, 'no-such-cdnow.txt');
    const nb = writeNotebook(join(tmp, 'needs-file.ipynb'), ['throw new Error("never runs");'], ['semantic'], [
      { name: 'the CDNOW sample', variable: 'CRM_CDNOW_FILE', default: '../shared/data/cdnow/CDNOW_sample.txt' },
    ]);
    const lines: string[] = [];
    const { log, error } = console;
    console.log = console.error = (...args: unknown[]) => void lines.push(args.join(' '));
    let code: number;
    try {
      // The semantic API is down too: a notebook that cannot run here is skipped, not failed for that.
      code = await main([nb, '--out', join(tmp, 'out'), '--no-html'], { CRM_CDNOW_FILE: absent, CRM_SEMANTIC_URL: 'http://127.0.0.1:9/cubejs-api' });
    } finally {
      Object.assign(console, { log, error });
    }
    const out = lines.join('\n');
    assert.equal(code, 0, out);
    const line = lines.find((l) => l.startsWith('skipped '));
    assert.equal(line?.replace(/ +/g, ' '), `skipped needs-file.ipynb the CDNOW sample is not at ${absent} (put it there, or set CRM_CDNOW_FILE to where it is)`, out);
  });
});

describe('every notebook, against a running product', () => {
  let product: NotebookProduct;
  let results: NotebookResult[];
  const seconds: Record<string, number> = {};

  before(async () => {
    const t0 = performance.now();
    product = await startNotebookProduct({ customers: 1000, trees: 30 });
    seconds.product = (performance.now() - t0) / 1000;
    const notebooks = listNotebooks().filter((p) => cdnowAvailable() || !basename(p).includes('cdnow'));
    const t1 = performance.now();
    results = await runNotebooks({
      notebooks,
      env: { ...product.env, CRM_NOTEBOOK_TREES: '30' },
      outDir: join(tmp, 'executed'),
      kernelDir: join(tmp, 'jupyter'),
      log: () => {},
    });
    seconds.notebooks = (performance.now() - t1) / 1000;
  });
  after(() => product?.close());

  test('all cells run', (t) => {
    t.diagnostic(`product ${seconds.product.toFixed(0)} s (${JSON.stringify(product.timings)}); notebooks ${seconds.notebooks.toFixed(0)} s: ${results.map((r) => `${basename(r.notebook)} ${r.seconds.toFixed(0)} s`).join(', ')}`);
    if (!cdnowAvailable()) t.diagnostic(`the CLV notebook was not run: the CDNOW sample is not at ${CDNOW_FILE}`);
    assert.equal(failures(results), '');
    for (const r of results) assert.ok(r.html, `${basename(r.notebook)}: no HTML export`);
  });

  test('each chart cell shows an SVG chart; each notebook prints its findings', () => {
    for (const r of results) {
      const source = readNotebook(r.notebook);
      const executed = readNotebook(r.executed!);
      executed.cells.forEach((cell, i) => {
        const charts = (text(source.cells[i].source).match(/showChart\(/g) ?? []).length;
        const svgs = (cell.outputs ?? []).filter((o) => text(o.data?.['text/html']).includes('<svg')).length;
        assert.equal(svgs, charts, `${basename(r.notebook)} cell ${i + 1}: ${charts} showChart calls, ${svgs} SVG outputs`);
      });
    }
  });

  test('the CLV notebook asserts the published parameters', (t) => {
    const clv = results.find((r) => basename(r.notebook).includes('cdnow'));
    if (!clv) return t.skip(`CDNOW sample not at ${CDNOW_FILE}`);
    const out = readNotebook(clv.executed!)
      .cells.flatMap((c) => c.outputs ?? [])
      .map((o) => text(o.text))
      .join('');
    assert.match(out, /parameters match the published fits/);
  });
});

test("notebooks/lib/project.ts declares the project's API as it is (tsc)", async () => {
  const r = await typecheck;
  // Only diagnostics in the notebooks' files count here; the rest of the project has its own checks.
  const ours = r.out.split('\n').filter((l) => /^(notebooks|test\/notebooks)\//.test(l));
  assert.deepEqual(ours, [], ours.join('\n'));
});
