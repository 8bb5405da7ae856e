/**
 * Days and timestamps as plain numbers: a day is days since 1970-01-01 (UTC), a time is seconds
 * since the epoch. Formatting goes through tables built once, because the bench scale formats tens
 * of millions of timestamps. Everything is UTC: the files carry local-free wall times.
 */
export const DAY = 86_400;

const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** "YYYY-MM-DD" → day number, or undefined when it is not a real calendar day. */
export function parseIsoDay(text: string): number | undefined {
  const m = ISO_DAY.exec(text);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return undefined;
  return ms / 86_400_000;
}

export function isoDay(day: number): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}

const pad2 = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));

export class Calendar {
  private readonly days: string[] = [];
  /** 0 = January. */
  readonly month: Uint8Array;
  /** 0 = Sunday. */
  readonly weekday: Uint8Array;
  readonly year: Uint16Array;

  constructor(readonly first: number, readonly last: number) {
    const n = last - first + 1;
    this.month = new Uint8Array(n);
    this.weekday = new Uint8Array(n);
    this.year = new Uint16Array(n);
    for (let i = 0; i < n; i++) {
      const d = new Date((first + i) * 86_400_000);
      this.days.push(d.toISOString().slice(0, 10));
      this.month[i] = d.getUTCMonth();
      this.weekday[i] = d.getUTCDay();
      this.year[i] = d.getUTCFullYear();
    }
  }

  date(day: number): string {
    return this.days[day - this.first] ?? isoDay(day);
  }

  /** "YYYY-MM-DD HH:MM:SS" for a time in seconds. */
  dateTime(t: number): string {
    const day = Math.floor(t / DAY);
    let s = t - day * DAY;
    const h = Math.floor(s / 3600);
    s -= h * 3600;
    const m = Math.floor(s / 60);
    return `${this.date(day)} ${pad2[h]}:${pad2[m]}:${pad2[s - m * 60]}`;
  }

  monthOf(day: number): number {
    return this.month[day - this.first];
  }

  weekdayOf(day: number): number {
    return this.weekday[day - this.first];
  }

  yearOf(day: number): number {
    return this.year[day - this.first];
  }
}

/** Day number of Black Friday (the day after the fourth Thursday of November) of a year. */
export function blackFriday(year: number): number {
  const nov1 = Date.UTC(year, 10, 1) / 86_400_000;
  const weekday = new Date(nov1 * 86_400_000).getUTCDay();
  const firstThursday = nov1 + ((4 - weekday + 7) % 7);
  return firstThursday + 21 + 1;
}
