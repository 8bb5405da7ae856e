import { quoteValue } from '../core/reasons.ts';
import { daysInRange } from './check-date.ts';
import { parseIso, toDays, type DateParser, type DateParts } from './parse-date.ts';

/** Stages in order with the day each was entered (days since 1970-01-01), or why the value is refused. */
export type StageHistory = { entries: [stage: string, days: number][]; problem?: undefined } | { entries?: undefined; problem: string };

const EXPECTED = '{"stage": "...", "entered_at": "YYYY-MM-DD"}';

/**
 * Reads a JSON array of `{"stage", "entered_at"}`. `otherFormat`: a mapping's date format that
 * the dates may use besides ISO (the one of the field the entity names in `datesLike`).
 */
export function parseStageHistory(raw: string, otherFormat: DateParser | undefined, parts: DateParts): StageHistory {
  let list: unknown;
  try {
    list = JSON.parse(raw);
  } catch {
    list = undefined;
  }
  if (!Array.isArray(list)) return { problem: `${quoteValue(raw)} is not a JSON array of ${EXPECTED}` };
  const entries: [string, number][] = [];
  for (let i = 0; i < list.length; i++) {
    const item = list[i] as { stage?: unknown; entered_at?: unknown } | null;
    if (!item || typeof item !== 'object' || typeof item.stage !== 'string' || typeof item.entered_at !== 'string') {
      return { problem: `entry ${i + 1} is not ${EXPECTED}` };
    }
    const d = Buffer.from(item.entered_at.trim());
    const ok = parseIso(d, 0, d.length, parts) || (otherFormat !== undefined && otherFormat(d, 0, d.length, parts));
    if (!ok || !daysInRange(toDays(parts))) return { problem: `entry ${i + 1}: ${quoteValue(item.entered_at)} is not a date (expected YYYY-MM-DD)` };
    entries.push([item.stage, toDays(parts)]);
  }
  return { entries };
}
