/**
 * Tenth security review: `npm run models -- evaluate --out DIR` wrote its report with
 * writeFileSync, which follows a link: in a shared folder a colleague plants
 * `churn-evaluation-<cutoff>-metrics.csv` (the cutoff is predictable) as a link to a file of the
 * analyst's, and the report overwrote it. The ninth review's rule for every file the product writes
 * (lib/files/own-file.ts) now holds for the report too.
 */
import assert from 'node:assert/strict';
import { linkSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { resolveDefinition } from '../../models/churn/definition.ts';
import { writeEvaluationReport, type EvaluationResult } from '../../models/churn/evaluate.ts';

const dir = mkdtempSync(join(tmpdir(), 'crm-eval-links-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const result = {
  trainCutoff: '2026-01-01',
  evalCutoff: '2026-04-01',
  definition: resolveDefinition(),
  metrics: [{ model: 'random_forest', roc_auc: 0.8, pr_auc: 0.5, brier: 0.1, lift_top_decile: 3 }],
  importance: [{ feature: 'recency_days', importance: 0.4 }],
  summary: { train_rows: 10, train_churn_rate: 0.2, eval_rows: 10, eval_churn_rate: 0.3, train_seconds: 1 },
} as unknown as EvaluationResult;

for (const kind of ['symbolic', 'hard'] as const) {
  test(`a ${kind} link planted at the report's name is refused and its target left alone`, async () => {
    const out = mkdtempSync(join(dir, `${kind}-`));
    const target = join(dir, `${kind}-bashrc`);
    writeFileSync(target, 'export PATH=$HOME/bin:$PATH\n');
    const planted = join(out, 'churn-evaluation-2026-04-01-metrics.csv');
    if (kind === 'symbolic') symlinkSync(target, planted);
    else linkSync(target, planted);
    await assert.rejects(writeEvaluationReport(result, out), /evaluation report/);
    assert.equal(readFileSync(target, 'utf8'), 'export PATH=$HOME/bin:$PATH\n');
  });
}

test('into a folder of its own the report is written as before', async () => {
  const out = mkdtempSync(join(dir, 'plain-'));
  const report = await writeEvaluationReport(result, out);
  assert.equal(readFileSync(report.files[1]!, 'utf8').trim().split('\n')[0], 'model,roc_auc,pr_auc,brier,lift_top_decile');
  assert.match(readFileSync(report.files[0]!, 'utf8'), /# Churn model evaluation \(2026-04-01\)/);
});
