// Starts the Admin API's HTTP server (Nest on Express) with Kong's body decoding and error bodies.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AdminToken } from '@archway/config';
import { requestSpanMiddleware, tracingEnabled, type Logger } from '@archway/telemetry';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AdminModule, type AdminDeps } from './admin.module';
import { adminAuthMiddleware, adminContextMiddleware, isLoopback } from './admin-auth';
import { adminBodyMiddleware } from './admin-body';
import { certificateBySni } from './certificate-by-sni';
import { KongErrorFilter } from './kong-error.filter';

export interface AdminServer {
  port: number;
  close(): Promise<void>;
}

/** `tokens` (ARCHWAY_ADMIN_TOKENS and its file): none leaves the Admin API open to whoever reaches it. */
export async function startAdminServer(
  deps: AdminDeps,
  listen: { host: string; port: number },
  logger: Logger,
  tokens: readonly AdminToken[] = [],
): Promise<AdminServer> {
  const app = await NestFactory.create<NestExpressApplication>(AdminModule.forRoot(deps), {
    bodyParser: false,
    logger: false,
  });
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', 'simple');
  // a SERVER span per request while tracing runs (named for its route template once Express routed it)
  if (tracingEnabled()) app.use(requestSpanMiddleware());
  app.use((req: unknown, res: { setHeader(n: string, v: string): void }, next: () => void) => {
    res.setHeader('Server', `archway/${deps.node.version}`);
    next();
  });
  // tokens are checked before the body is read; the token's name is the actor the history records
  app.use(adminAuthMiddleware(tokens, logger));
  app.use(adminBodyMiddleware);
  app.use(adminContextMiddleware);
  // /certificates/{SNI name} -> /certificates/{id}, as Kong addresses certificates
  app.use(certificateBySni(deps.store));
  app.useGlobalFilters(new KongErrorFilter(logger));
  app.enableShutdownHooks();
  await app.listen(listen.port, listen.host);
  const server = app.getHttpServer() as Server;
  const port = (server.address() as AddressInfo).port;
  logger.info('admin API listening', { address: `${listen.host}:${port}`, auth: tokens.length > 0 ? 'tokens' : 'open' });
  if (tokens.length === 0 && !isLoopback(listen.host))
    logger.warn('the admin API is open to anyone who can reach it: set ARCHWAY_ADMIN_TOKENS or bind it to 127.0.0.1', {
      address: `${listen.host}:${port}`,
    });
  return { port, close: () => app.close() };
}
