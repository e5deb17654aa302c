// request-size-limiting (kong/plugins/request-size-limiting/handler.lua, Kong 3.9): refuses bodies
// larger than allowed_payload_size, from Content-Length when there is one, else from the buffered
// (chunked) body; 417 instead of 413 when the client waits on `Expect: 100-continue`.
import type { PluginContext, PluginHandler } from '@archway/pipeline';
import { requestSizeLimitingSchema } from './schema';

const UNIT_BYTES: Readonly<Record<string, number>> = { bytes: 1, kilobytes: 1024, megabytes: 2 ** 20 };
const ERR_TOO_LARGE = 'Request size limit exceeded';
const ERR_LENGTH_REQUIRED = 'A valid Content-Length header is required';
const DIGITS_RE = /^\s*\d+\s*$/;

interface RequestSizeLimitingState {
  allowedBytes: number;
  requireContentLength: boolean;
}

function checkSize(ctx: PluginContext, length: number, s: RequestSizeLimitingState): void {
  if (length <= s.allowedBytes) return;
  const expectContinue = ctx.header('expect')?.trim().toLowerCase() === '100-continue';
  ctx.error(expectContinue ? 417 : 413, ERR_TOO_LARGE);
}

export const requestSizeLimitingHandler: PluginHandler<RequestSizeLimitingState> = {
  name: requestSizeLimitingSchema.name,
  priority: requestSizeLimitingSchema.priority,
  version: requestSizeLimitingSchema.version,
  configure(config) {
    return {
      allowedBytes: (config.allowed_payload_size as number) * UNIT_BYTES[config.size_unit as string],
      requireContentLength: config.require_content_length as boolean,
    };
  },
  // the body is needed only for requests without a valid Content-Length (chunked), which
  // require_content_length refuses; a Content-Length is checked before any of the body is read (as Kong)
  readsRequestBody: (s, ctx) => !s.requireContentLength && (ctx === undefined || !DIGITS_RE.test(ctx.header('content-length') ?? '')),
  access(ctx, s) {
    const cl = ctx.header('content-length');
    if (cl !== undefined && DIGITS_RE.test(cl)) return checkSize(ctx, Number(cl), s);
    // a request without a valid Content-Length has a body only when it is chunked
    const hasBody = ctx.header('transfer-encoding') !== undefined || cl !== undefined;
    if (s.requireContentLength) {
      if (hasBody) ctx.error(411, ERR_LENGTH_REQUIRED);
      return;
    }
    if (ctx.body) checkSize(ctx, ctx.body.length, s);
  },
};
