/**
 * Churn alerts (issue 6): the public API.
 *
 * For bin/start.ts:   startWorker, describeDelivery
 * For the dashboard:  listInbox, readInboxMessage, listDeliveries, readRuns (alerts inbox, admin);
 *                     readRules, writeRules, validateRules, defaultRules (admin rule editor)
 * For scripts:        runAlerts (what `npm run alerts -- run` calls)
 */
export { startWorker, type Worker, type WorkerOptions } from './worker.ts';
export { describeDelivery, loadAlertsConfig, activeChannels, type AlertsConfig, type Channel } from './config.ts';
export { runAlerts, type RunAlertsOptions, type RunResult, type DeliveryReport, type ScoreFn } from './run.ts';
export { listInbox, readInboxMessage, listDeliveries, readRuns, type InboxMessage, type ChannelStatus, type InboxOptions } from './inbox.ts';
export { readRules, writeRules, validateRules, defaultRules, rulesPath, type AlertRules, type RulesValidation, type ValueBasis } from './rules.ts';
export { AlertsError, AlertRulesError, type RuleIssue } from './errors.ts';
export { verifyWebhookSignature, signWebhook } from '../lib/webhook/index.ts';
export type { DigestData } from './digest.ts';
export type { LedgerRow, DeliveryStatus, RunRecord } from './ledger.ts';
export { systemClock, type Clock } from './clock.ts';
