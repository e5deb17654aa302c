// Reads and decodes the request body before Nest routes it (Nest's own body parser is off, because
// Kong's form decoding and error bodies differ from Express's).
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import type { ExpressResponse } from './express-types';
import { BodyError, decodeBody, type DecodedBody } from './arguments-decoder';
import { unstorableText } from './storable-text';

const MAX_BODY_BYTES = 16 * 1024 * 1024;

type WithBody = IncomingMessage & { adminBody?: DecodedBody };
type NextFunction = (err?: unknown) => void;

export function adminBodyMiddleware(req: WithBody, res: ExpressResponse, next: NextFunction): void {
  if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') {
    req.adminBody = { body: {}, fromForm: false };
    return next();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let failed = false;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_BODY_BYTES && !failed) {
      failed = true;
      res.status(413).json({ message: 'Request body too large' });
      req.destroy();
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (failed) return;
    // async: multipart bodies are parsed by the platform's FormData parser
    decodeBody(req.headers['content-type'], Buffer.concat(chunks)).then(
      (decoded) => {
        const unstorable = unstorableText(decoded.body);
        if (unstorable) return void res.status(unstorable.status).json(unstorable.toBody());
        req.adminBody = decoded;
        next();
      },
      (err: unknown) => {
        if (err instanceof BodyError) res.status(err.status).json({ message: err.message });
        else next(err);
      },
    );
  });
  req.on('error', (err: Error) => {
    if (!failed) next(err);
  });
}

/** The decoded body and whether its values are form strings awaiting coercion. */
export const AdminBody = createParamDecorator((_: unknown, ctx: ExecutionContext): DecodedBody => {
  const req = ctx.switchToHttp().getRequest<WithBody>();
  return req.adminBody ?? { body: {}, fromForm: false };
});
