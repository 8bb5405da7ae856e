/**
 * `npm run alerts -- <command>`: run the churn alerts by hand, look at the rules and an owner's inbox.
 * Progress goes to stderr ([alerts] …), what was (or would be) sent to stdout.
 */
import { parseArgs } from 'node:util';
import { loadWarehouseConfig } from '../lib/config.ts';
import { loadConfig } from '../lib/config/schema.ts';
import { formatContextOf, formatMoney, formatProbability } from '../lib/format/index.ts';
import { connectWarehouse } from '../lib/warehouse/index.ts';
import { applyMigrations } from '../lib/warehouse/migrations/runner.ts';
import { adoptReportingCurrency } from '../lib/warehouse/reporting-currency.ts';
import { parseDay } from '../models/index.ts';
import { describeDelivery, loadAlertsConfig } from './config.ts';
import { listInbox } from './inbox.ts';
import { readRules, rulesPath } from './rules.ts';
import { runAlerts, type RunResult } from './run.ts';

const HELP = `Usage: npm run alerts -- <command> [options]

Commands:
  run      plan and deliver the churn alert digests for the last scheduled window
           (scores are refreshed first when older than the rules allow)
  rules    print the rules file (created with the defaults when missing) and where it is
  inbox    list an owner's digests (--owner required): outbox files, or --ledger for every channel

Options:
  --dry-run            run: print what would be sent; send nothing, write nothing (ledger, outbox, scores)
  --owner ID           only this account owner (customers.owner_id, e.g. U-OWN-01)
  --today YYYY-MM-DD   run: act as the scheduled run of that day (window, scoring day, revenue window);
                       without it the scoring day and revenue window use the as-of date
                       (CRM_AS_OF, else today, else the data's end when it is more than 7 days old)
  --no-rescore         run: use the scores there are, however old
  --ledger             inbox: read the ledger in ClickHouse instead of the outbox folder
  --json               print the result as JSON
  --help               show this help

Environment: SMTP_URL (unset: digests go to CRM_DATA_DIR/outbox/<owner>/ as .eml files), ALERT_FROM,
ALERT_WEBHOOK_URL, CRM_WEBHOOK_SECRET, CRM_PUBLIC_URL, CRM_TIMEZONE (default time zone of a new rules
file), CLICKHOUSE_URL (unset: the embedded engine). Rules: CRM_DATA_DIR/alert-rules.json.
See alerts/README.md.`;

const log = (line: string): void => console.error(`[alerts] ${line}`);
function printRun(r: RunResult): void {
  // The digests' own formats (lib/format) in the configured base currency.
  const format = formatContextOf(loadConfig());
  const pct = (p: number): string => formatProbability(p, format);
  const lines = [`${r.dryRun ? 'Dry run' : 'Run'} for the window ${r.window}${r.ownerFilter ? ` (owner ${r.ownerFilter})` : ''}`];
  lines.push(
    `scores: churn ${r.scores.churnScoredAt?.toISOString() ?? 'none'}, CLV ${r.scores.clvScoredAt?.toISOString() ?? 'none'}${r.scores.rescored ? ' (re-scored now)' : r.scores.stale ? ' (stale)' : ''}`,
    `${r.candidates} customers at risk; ${r.newEpisodes} new alerts; ${r.closedEpisodes} episodes closed`,
  );
  // Lapsed customers are their own count, never "at risk" (issue 14; alerts/README.md).
  if (r.lapsed && r.lapsedRule) lines.push(`${r.lapsed} lapsed customers left out (no purchase in the ${r.lapsedRule.activeWindowDays} days before ${r.lapsedRule.asOf})`);
  if (!r.deliveries.length) lines.push('nothing to send');
  for (const d of r.deliveries) {
    const verb = d.outcome === 'would-send' ? 'WOULD SEND' : d.outcome === 'sent' ? 'SENT' : 'FAILED';
    lines.push(
      '',
      `${verb} ${d.channel} digest ${d.deliveryId} to ${d.ownerId}${d.recipient ? ` <${d.recipient}>` : ''}${d.retry ? ' (retry of an earlier run)' : ''}${d.attempts ? `, ${d.attempts} attempt(s)` : ''}`,
      ...(d.error ? [`  error: ${d.error}`] : []),
      ...(d.path ? [`  file: ${d.path}`] : []),
      ...d.customers.map((c) => `  - ${c.name || c.customerId} (${c.customerId}): ${pct(c.probability)}, value at risk ${formatMoney(c.valueAtRisk, {}, format)}, ${c.trigger}`),
      ...(d.more ? [`  … and ${d.more} more for later digests`] : []),
      ...(d.deals ? [`  + ${d.deals} open deal${d.deals === 1 ? '' : 's'} at risk${d.customers.length ? '' : ' (a deals-only digest: no new churn alert)'}`] : []),
    );
  }
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  console.log(lines.join('\n'));
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      'dry-run': { type: 'boolean' },
      owner: { type: 'string' },
      today: { type: 'string' },
      'no-rescore': { type: 'boolean' },
      ledger: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals[0];
  if (values.help || !command) {
    console.log(HELP);
    return command || values.help ? 0 : 2;
  }
  if (!['run', 'rules', 'inbox'].includes(command)) {
    console.error(`unknown command "${command}"\n\n${HELP}`);
    return 2;
  }
  const warehouseConfig = loadWarehouseConfig();
  const dataDir = warehouseConfig.dataDir;
  if (command === 'rules') {
    const rules = readRules(dataDir);
    console.log(values.json ? JSON.stringify(rules, null, 2) : `${rulesPath(dataDir)}\n${JSON.stringify(rules, null, 2)}\n\ndelivery: ${describeDelivery({ rules })}`);
    return 0;
  }
  const owner = values.owner?.trim();
  if (command === 'inbox' && !owner) throw new Error('inbox needs --owner ID');
  if (command === 'inbox' && !values.ledger) {
    const messages = await listInbox(dataDir, owner!);
    if (values.json) console.log(JSON.stringify(messages, null, 2));
    else if (!messages.length) console.log(`no digests in the outbox of ${owner}`);
    else for (const m of messages) console.log(`${m.run_window}  ${m.subject}  (${m.customers.length} customers)  ${m.emlPath}`);
    return 0;
  }
  const today = values.today ? parseDay(values.today, '--today') : undefined;
  const warehouse = await connectWarehouse({ config: warehouseConfig, ensureDatabase: true });
  try {
    await applyMigrations(warehouse.client, { database: warehouse.database, cluster: warehouse.cluster }, undefined, log);
    // Digests carry the warehouse's recorded currency (CRM_BASE_CURRENCY must agree or be unset).
    await adoptReportingCurrency(warehouse.client, warehouse.database);
    const config = loadAlertsConfig(dataDir);
    if (command === 'inbox') {
      const messages = await listInbox(warehouse, owner!, { publicUrl: config.publicUrl });
      if (values.json) console.log(JSON.stringify(messages, null, 2));
      else if (!messages.length) console.log(`no digests in the ledger for ${owner}`);
      else for (const m of messages) console.log(`${m.run_window}  ${m.subject}  ${m.channels?.map((c) => `${c.channel}:${c.status}`).join(' ')}  ${m.delivery_id}`);
      return 0;
    }
    log(`delivery: ${describeDelivery({ config })}`);
    const result = await runAlerts({
      warehouse,
      dataDir,
      config,
      log,
      dryRun: values['dry-run'],
      ownerId: owner,
      today,
      configuredAsOf: loadConfig().CRM_AS_OF,
      rescore: !values['no-rescore'],
      trigger: 'cli',
    });
    if (values.json) console.log(JSON.stringify(result, null, 2));
    else printRun(result);
    return result.deliveries.some((d) => d.outcome === 'failed') ? 3 : 0;
  } finally {
    await warehouse.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`[alerts] error: ${err.message}`);
    process.exit(1);
  },
);
