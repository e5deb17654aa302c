// Structured logs: one JSON line per event, level-filtered before any work is done.
export type LogLevel = 'debug' | 'info' | 'notice' | 'warn' | 'error';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, notice: 25, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  notice(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(bindings: Record<string, unknown>): Logger;
  enabled(level: LogLevel): boolean;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** where lines go; defaults to stderr so stdout stays free for command output */
  write?: (line: string) => void;
  bindings?: Record<string, unknown>;
}

const REDACT = new Set(['password', 'authorization', 'apikey', 'api_key', 'key', 'secret', 'token', 'kong-admin-token']);

function redact(fields: Record<string, unknown>): Record<string, unknown> {
  let out = fields;
  for (const k of Object.keys(fields)) {
    if (REDACT.has(k.toLowerCase())) {
      if (out === fields) out = { ...fields };
      out[k] = '[redacted]';
    }
  }
  return out;
}

function errorFields(fields: Record<string, unknown>): Record<string, unknown> {
  const err = fields.err;
  if (err instanceof Error) {
    return { ...fields, err: { message: err.message, code: (err as { code?: unknown }).code, stack: err.stack } };
  }
  return fields;
}

/** the active span's ids, while tracing runs (set by startTracing; null: no lookup at all) */
let traceFields: (() => Record<string, string> | null) | null = null;

/** Installs (or, with null, removes) what adds trace_id and span_id to log lines. */
export function setTraceFields(fn: (() => Record<string, string> | null) | null): void {
  traceFields = fn;
}

export function isLogLevel(v: string): v is LogLevel {
  return v in RANK;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const min = RANK[opts.level ?? 'info'];
  const write = opts.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const bindings = opts.bindings ?? {};
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (RANK[level] < min) return;
    const trace = traceFields === null ? null : traceFields();
    const record = { time: new Date().toISOString(), level, msg, ...bindings, ...trace, ...(fields ? errorFields(redact(fields)) : {}) };
    write(JSON.stringify(record));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    notice: (m, f) => emit('notice', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (b) => createLogger({ ...opts, bindings: { ...bindings, ...b } }),
    enabled: (level) => RANK[level] >= min,
  };
}

/** A logger that drops everything, for tests and libraries used without one. */
export const silentLogger: Logger = createLogger({ level: 'error', write: () => undefined });
