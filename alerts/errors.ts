/** Coded errors of the alerts module, so callers (CLI, web) can branch without parsing messages. */
export type AlertsErrorCode = 'RULES_INVALID' | 'RUN_BUSY' | 'CONFIG_INVALID' | 'OWNER_INVALID';

export class AlertsError extends Error {
  constructor(
    readonly code: AlertsErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AlertsError';
  }
}

export interface RuleIssue {
  /** Dotted path of the offending field, e.g. `schedule.timezone`. */
  path: string;
  message: string;
}

export class AlertRulesError extends AlertsError {
  constructor(
    readonly issues: RuleIssue[],
    readonly file?: string,
  ) {
    super('RULES_INVALID', `invalid alert rules${file ? ` in ${file}` : ''}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    this.name = 'AlertRulesError';
  }
}
