// Spec helpers shared by the in-process harness (admin-harness.ts) and the black-box tests
// (test/support/admin-process.ts): a small Admin API client, and a control plane kept for one
// describe block or file.

export interface AdminReply {
  status: number;
  headers: Headers;
  text: string;
  /** the body parsed as JSON, or the text when it is not JSON, or null when empty */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON bodies
  body: any;
}

/** JSON for objects, form-urlencoded for strings (as `curl --data`), FormData as multipart, or raw bytes with `type` */
export type AdminCall = (
  method: string,
  path: string,
  body?: string | object | FormData | Buffer,
  type?: string,
  headers?: Record<string, string>,
) => Promise<AdminReply>;

function encode(body: string | object | FormData | Buffer | undefined, type: string | undefined, headers: Record<string, string>) {
  if (body === undefined) return undefined;
  if (body instanceof FormData) return body; // fetch sets the multipart boundary
  if (Buffer.isBuffer(body)) {
    if (type) headers['content-type'] = type;
    return body;
  }
  if (typeof body === 'string') {
    headers['content-type'] ??= type ?? 'application/x-www-form-urlencoded';
    return body;
  }
  headers['content-type'] ??= type ?? 'application/json';
  return JSON.stringify(body);
}

/** A client for the Admin API at `base` (http://host:port). */
export function adminClient(base: string): AdminCall {
  return async (method, path, body, type, extra = {}) => {
    const headers: Record<string, string> = { ...extra };
    const res = await fetch(base + path, { method, headers, body: encode(body, type, headers) });
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = text;
    }
    return { status: res.status, headers: res.headers, text, body: parsed };
  };
}

/**
 * Starts `start()` in beforeAll and closes it in afterAll of the enclosing describe block (or file);
 * the returned function gives the running value. Call it before any beforeAll that uses the value, as
 * hooks run in order. Hooks get `timeoutMs`: a fresh database or process can be slow on a busy machine.
 */
export function keptForBlock<T extends { close(): Promise<void> }>(start: () => Promise<T>, what: string, timeoutMs = 180_000): () => T {
  let running: T | undefined;
  beforeAll(async () => {
    running = await start();
  }, timeoutMs);
  afterAll(async () => {
    await running?.close();
  }, timeoutMs);
  return () => {
    if (!running) throw new Error(`${what} is not running: use it inside a test or a later hook`);
    return running;
  };
}
