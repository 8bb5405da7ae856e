import { request } from 'node:http';

/**
 * Raw HTTP for the attack suite. fetch() normalises what an attacker sends on purpose (dot
 * segments, double slashes, the client address), so requests go out byte for byte through
 * node:http, optionally from another loopback address (127.0.0.0/8 is all ours) to play a second
 * client.
 */
export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface RawOptions {
  method?: string;
  cookie?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Source address, e.g. 127.0.0.7: the server sees another client. */
  from?: string;
}

export function raw(baseUrl: string, path: string, opts: RawOptions = {}): Promise<RawResponse> {
  const base = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: base.hostname,
        port: base.port,
        path,
        method: opts.method ?? 'GET',
        localAddress: opts.from,
        agent: false,
        headers: { ...(opts.cookie ? { cookie: opts.cookie } : {}), ...(opts.headers ?? {}), ...(opts.body !== undefined ? { 'content-length': String(Buffer.byteLength(opts.body)) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.setTimeout(120_000, () => req.destroy(new Error(`${opts.method ?? 'GET'} ${path}: no answer in 120 s`)));
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

/** `name=value` pairs the response sets (a deletion, i.e. an empty value or Max-Age=0, removes the name). */
export function cookiesOf(res: RawResponse, jar: Record<string, string> = {}): Record<string, string> {
  const set = res.headers['set-cookie'];
  for (const line of Array.isArray(set) ? set : set ? [set] : []) {
    const [pair, ...attrs] = line.split(';');
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const deleted = value === '' || attrs.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=thu, 01 jan 1970/i.test(a));
    if (deleted) delete jar[name];
    else jar[name] = value;
  }
  return jar;
}

export const cookieHeader = (jar: Record<string, string>): string =>
  Object.entries(jar)
    .map(([k, v]) => `${k}=${v}`)
    .join('; ');

/** A form post as the browser sends it from the dashboard's own origin (SvelteKit checks Origin). */
export function postForm(baseUrl: string, path: string, fields: Record<string, string>, opts: RawOptions = {}): Promise<RawResponse> {
  return raw(baseUrl, path, {
    ...opts,
    method: 'POST',
    headers: { origin: new URL(baseUrl).origin, accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded', ...(opts.headers ?? {}) },
    body: new URLSearchParams(fields).toString(),
  });
}

/**
 * Signs in through the form: the session cookie header (`crm_session=…`), the known-device cookie
 * header the browser keeps for the sign-in form (`crm_device=…`), or the refused response.
 */
export async function signInCookie(baseUrl: string, email: string, password: string, opts: RawOptions = {}): Promise<{ cookie?: string; device?: string; res: RawResponse }> {
  const res = await postForm(baseUrl, '/signin', { email, password }, opts);
  const jar = cookiesOf(res);
  const only = (name: string): string | undefined => (res.status === 303 && jar[name] ? cookieHeader({ [name]: jar[name] }) : undefined);
  return { cookie: only('crm_session'), device: only('crm_device'), res };
}

/** The Set-Cookie line for one cookie name, attributes included. */
export function setCookieLine(res: RawResponse, name: string): string | undefined {
  const set = res.headers['set-cookie'];
  return (Array.isArray(set) ? set : set ? [set] : []).find((line) => line.startsWith(`${name}=`));
}
