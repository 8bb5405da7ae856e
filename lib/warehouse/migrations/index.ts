import { createHash } from 'node:crypto';
import { coreTables, coreViews } from './001-core.ts';
import { semanticTables, semanticViews } from './002-semantic.ts';
import { alertTables } from './003-alerts.ts';
import { campaignPushTables } from './004-campaign-push.ts';
import { sessionStatements, sessionTables } from './005-sessions.ts';
import { modelCardTables } from './006-model-cards.ts';
import { ingestBatchCountStatements } from './007-ingest-batch-counts.ts';
import { derivedOverlay, incrementalDerivedStatements } from './010-incremental-derived.ts';
import { auditLogTables } from './011-audit-log.ts';
import { consentTables, consentViews } from './012-consent.ts';
import { privacyTables, reconcileRetention } from './013-privacy.ts';
import { modelRunTables, modelRunViews } from './014-model-runs.ts';
import { winlossStatements, winlossTables } from './015-winloss.ts';
import { customerValueScoreStatements, customerValueScores, customerValueView } from './016-customer-value-scores.ts';
import { paidOrderKeyStatements } from './017-paid-order-keys.ts';
import { reconcileTransactionsByCustomer, transactionsByCustomerStatements } from './018-transactions-by-customer.ts';
import { warehouseSettingsTables } from './019-warehouse-settings.ts';
import { lapsedBandStatements } from './020-lapsed-band.ts';
import { episodeClosureReasonStatements } from './021-episode-closure-reason.ts';
import { lapsedBandCardWindowStatements } from './022-lapsed-band-card-window.ts';
import { campaignMemberRevenueStatements } from './023-campaign-member-revenue-unknown.ts';
import { decimalQuantityStatements } from './024-decimal-quantity.ts';
import { ownerProjectionStatements } from './025-owner-projections.ts';
import { consentSourceTokenViews } from './026-consent-source-token.ts';
import type { ClickHouseClient } from '@clickhouse/client';
import { renderDatabase, renderTable, renderView, type RenderContext, type TableDef, type ViewDef } from './ddl.ts';

export interface Migration {
  version: number;
  name: string;
  tables?: TableDef[];
  views?: ViewDef[];
  /** Raw statements for what tables/views cannot express; must be idempotent. */
  statements?: (ctx: RenderContext) => string[];
  /**
   * Settings that follow the configuration (retention TTLs), brought to what the environment asks
   * on every migrate, after the DDL; not part of the checksum. Must only change what differs.
   */
  reconcile?: (client: ClickHouseClient, ctx: RenderContext, log: (line: string) => void) => Promise<unknown>;
}

/**
 * Append-only: never edit a migration that has shipped (its checksum is recorded); add a new one.
 * Later issues register theirs here.
 */
export const migrations: Migration[] = [
  { version: 1, name: 'core', tables: coreTables, views: coreViews },
  { version: 2, name: 'semantic', tables: semanticTables, views: semanticViews },
  { version: 3, name: 'alerts', tables: alertTables },
  { version: 4, name: 'campaign-push', tables: campaignPushTables },
  { version: 5, name: 'sessions', tables: sessionTables, statements: sessionStatements },
  { version: 6, name: 'model-cards', tables: modelCardTables },
  { version: 7, name: 'ingest-batch-counts', statements: ingestBatchCountStatements },
  { version: 10, name: 'incremental-derived', tables: [derivedOverlay], statements: incrementalDerivedStatements },
  { version: 11, name: 'audit-log', tables: auditLogTables },
  { version: 12, name: 'consent', tables: consentTables, views: consentViews },
  { version: 13, name: 'privacy', tables: privacyTables, reconcile: reconcileRetention },
  { version: 14, name: 'model-runs', tables: modelRunTables, views: modelRunViews },
  { version: 15, name: 'winloss', tables: winlossTables, statements: winlossStatements },
  { version: 16, name: 'customer-value-scores', tables: [customerValueScores], views: [customerValueView], statements: customerValueScoreStatements },
  { version: 17, name: 'paid-order-keys', statements: paidOrderKeyStatements },
  { version: 18, name: 'transactions-by-customer', statements: transactionsByCustomerStatements, reconcile: reconcileTransactionsByCustomer },
  { version: 19, name: 'warehouse-settings', tables: warehouseSettingsTables },
  { version: 20, name: 'lapsed-band', statements: lapsedBandStatements },
  { version: 21, name: 'episode-closure-reason', statements: episodeClosureReasonStatements },
  { version: 22, name: 'lapsed-band-card-window', statements: lapsedBandCardWindowStatements },
  { version: 23, name: 'campaign-member-revenue-unknown', statements: campaignMemberRevenueStatements },
  { version: 24, name: 'decimal-quantity', statements: decimalQuantityStatements },
  { version: 25, name: 'owner-projections', statements: ownerProjectionStatements },
  { version: 26, name: 'consent-source-token', views: consentSourceTokenViews },
];

export function renderMigration(m: Migration, ctx: RenderContext): string[] {
  return [
    ...(m.tables ?? []).flatMap((t) => renderTable(t, ctx)),
    ...(m.views ?? []).flatMap((v) => renderView(v, ctx)),
    ...(m.statements?.(ctx) ?? []),
  ];
}

/** Everything a fresh warehouse needs, in order: what `npm run schema -- --print` shows. */
export function renderAll(ctx: RenderContext, list: Migration[] = migrations): string[] {
  return [renderDatabase(ctx), ...list.flatMap((m) => renderMigration(m, ctx))];
}

export function checksum(m: Migration): string {
  const text = renderMigration(m, { database: 'db' }).join(';\n');
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}
