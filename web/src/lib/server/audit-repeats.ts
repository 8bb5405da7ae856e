
/**
 * Audit rows a signed-in user's requests write, bounded (eighth security review). Each
 * `/api/cube-token` and each customer 360 view was one append-only row, without a limit: a script
 * holding any session cookie wrote rows as fast as the web process answered (a token costs no
 * query, only the INSERT), rows nobody may delete and the Audit page pages through.
 *
 * Now, per actor and action, in a window of `windowMs`:
 * - the same target with the same outcome is recorded once; its repeats are counted;
 * - at most `rowsPerWindow` rows are recorded; what comes after is counted;
 * and when the window ends, the counted ones are one row each (the repeats of one target, under the
 * first row's request id; the rest of the actor's action, with how many distinct targets) with
 * their number in `row_count` and no target ids. What an
 * honest user does — a token every 14 minutes per tab, a customer opened again — costs the same
 * rows as before or fewer; a flood costs at most `rowsPerWindow` + its summaries per window.
 */
export const REPEAT_WINDOW_MS = 10 * 60_000;
/** Rows of one actor and action in a window; beyond, counted (a person opens far fewer 360 pages in 10 minutes). */
export const ROWS_PER_WINDOW = 100;
/** Open windows kept at once; beyond, all are written early (memory stays bounded). */
export const MAX_OPEN = 10_000;

/** What this needs of an audit entry (audit.ts's DashboardAuditEntry; not imported: audit.ts imports this). */
export interface RepeatableEntry {
  action: string;
  targetKind: string;
  targetIds?: readonly string[];
  outcome: string;
  detail?: string;
  rowCount?: number;
  at?: Date;
}

interface Repeats<E, A> {
  entry: E;
  actor: A;
  requestId: string;
  count: number;
  /** For the overflow: the distinct targets counted (up to a bound). */
  targets?: Set<string>;
  until: number;
}

interface Window {
  rows: number;
  until: number;
}

export interface DueRow<E, A> {
  actor: A;
  requestId: string;
  entry: E;
}

const MAX_TARGETS_COUNTED = 10_000;

export class AuditRepeats<E extends RepeatableEntry, A extends { sub: string }> {
  readonly #windows = new Map<string, Window>();
  readonly #repeats = new Map<string, Repeats<E, A>>();
  /** Overflow windows replaced before due() saw them end. */
  readonly #overdue: Repeats<E, A>[] = [];

  constructor(
    readonly windowMs = REPEAT_WINDOW_MS,
    readonly rowsPerWindow = ROWS_PER_WINDOW,
    readonly maxOpen = MAX_OPEN,
  ) {}

  /** Whether this action is written now (true) or counted for the window's summary (false). */
  admit(actor: A, requestId: string, entry: E, now: number): boolean {
    const who = `${actor.sub}\n${entry.action}`;
    const target = `${who}\n${(entry.targetIds ?? []).join(',')}\n${entry.outcome}\n${entry.detail ?? ''}`;
    const seen = this.#repeats.get(target);
    if (seen && now < seen.until) {
      seen.count++;
      return false;
    }
    let w = this.#windows.get(who);
    if (!w || now >= w.until) this.#windows.set(who, (w = { rows: 0, until: now + this.windowMs }));
    if (w.rows < this.rowsPerWindow) {
      w.rows++;
      this.#repeats.set(target, { entry, actor, requestId, count: 0, until: now + this.windowMs });
      return true;
    }
    const overflowKey = `${who}\n*\n${entry.outcome}`;
    let over = this.#repeats.get(overflowKey);
    if (!over || now >= over.until) {
      if (over) this.#overdue.push(over);
      over = { entry, actor, requestId, count: 0, targets: new Set(), until: w.until };
      this.#repeats.set(overflowKey, over);
    }
    over.count++;
    if (over.targets!.size < MAX_TARGETS_COUNTED) over.targets!.add(target);
    return false;
  }

  /** Summary rows of the windows that have ended (of all of them past `maxOpen`), removed. */
  due(now: number): DueRow<E, A>[] {
    const all = this.#repeats.size + this.#windows.size > this.maxOpen;
    const ended: Repeats<E, A>[] = this.#overdue.splice(0);
    for (const [k, r] of this.#repeats) {
      if (!all && now < r.until) continue;
      this.#repeats.delete(k);
      ended.push(r);
    }
    for (const [k, w] of this.#windows) if (all || now >= w.until) this.#windows.delete(k);
    return ended.filter((r) => r.count > 0).map((r) => ({ actor: r.actor, requestId: r.requestId, entry: this.#summary(r, Math.min(now, r.until)) }));
  }

  #summary(r: Repeats<E, A>, at: number): E {
    const minutes = Math.round(this.windowMs / 60_000);
    if (r.targets)
      return {
        ...r.entry,
        targetIds: [],
        rowCount: r.count,
        detail: `more than ${this.rowsPerWindow} rows in ${minutes} minutes: the further ones counted (${r.targets.size} distinct targets)`,
        at: new Date(at),
      };
    // No target ids in a row written later: a privacy erasure in between (lib/privacy) replaced
    // them in the rows already there; the request id leads to the first row, which has them.
    const why = r.entry.detail ? `${r.entry.detail}; ` : '';
    return { ...r.entry, targetIds: [], rowCount: r.count, detail: `${why}repeats of this request's row in the ${minutes} minutes after it: counted`, at: new Date(at) };
  }

  get size(): number {
    return this.#repeats.size + this.#windows.size;
  }
}
