import { createWriteStream } from 'node:fs';

/**
 * A deterministic transactions CSV for the ingest benchmark (canonical headers, ~125 bytes a row):
 * the same `rows` and `seed` always give the same bytes.
 */
export async function writeTransactionsCsv(path: string, rows: number, seed = 42): Promise<number> {
  let s = seed >>> 0;
  const rnd = (): number => {
    // xorshift32
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
  const statuses = ['completed', 'completed', 'completed', 'completed', 'completed', 'refunded', 'cancelled', 'pending'];
  const categories = ['books', 'music', 'electronics', 'garden', 'toys', 'fashion'];
  const channels = ['web', 'store', 'phone', 'marketplace'];
  const customers = Math.max(10, Math.floor(rows / 10));
  const start = Date.UTC(2022, 0, 1) / 1000;
  const pad = (n: number): string => (n < 10 ? `0${n}` : String(n));
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  let bytes = 0;
  let buf = 'source,transaction_id,order_id,customer_ref,order_date,status,amount,currency,quantity,product_id,product_name,category,channel,updated_at\n';
  for (let i = 0; i < rows; i++) {
    const d = new Date((start + Math.floor(rnd() * 3 * 365 * 86400)) * 1000);
    const ts = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
    const p = Math.floor(rnd() * 500);
    const amount = (Math.floor(rnd() * 30000) / 100).toFixed(2);
    buf += `shop,T${i},O${i >> 1},CU${Math.floor(rnd() * customers)},${ts},${statuses[Math.floor(rnd() * 8)]},${amount},EUR,${1 + Math.floor(rnd() * 4)},P${p},Product ${p},${categories[p % 6]},${channels[p % 4]},${ts}\n`;
    if (buf.length > 1 << 20) {
      bytes += buf.length;
      if (!out.write(buf)) await new Promise<void>((r) => out.once('drain', () => r()));
      buf = '';
    }
  }
  bytes += buf.length;
  await new Promise<void>((res, rej) => out.end(buf, (e?: Error | null) => (e ? rej(e) : res())));
  return bytes;
}
