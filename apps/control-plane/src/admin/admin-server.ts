// Starts the Admin API's HTTP server (Nest on Express) with Kong's body decoding and error bodies.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Logger } from '@archway/telemetry';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AdminModule, type AdminDeps } from './admin.module';
import { adminBodyMiddleware } from './admin-body';
import { certificateBySni } from './certificate-by-sni';
import { adminContext } from './request-context';
import { KongErrorFilter } from './kong-error.filter';

export interface AdminServer {
  port: number;
  close(): Promise<void>;
}

export async function startAdminServer(deps: AdminDeps, listen: { host: string; port: number }, logger: Logger): Promise<AdminServer> {
  const app = await NestFactory.create<NestExpressApplication>(AdminModule.forRoot(deps), {
    bodyParser: false,
    logger: false,
  });
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', 'simple');
  app.use((req: unknown, res: { setHeader(n: string, v: string): void }, next: () => void) => {
    res.setHeader('Server', `archway/${deps.node.version}`);
    next();
  });
  // who is calling, for the config history (admin tokens name the caller when they are on)
  app.use((req: unknown, res: unknown, next: () => void) => adminContext.run({ actor: null }, next));
  app.use(adminBodyMiddleware);
  // /certificates/{SNI name} -> /certificates/{id}, as Kong addresses certificates
  app.use(certificateBySni(deps.store));
  app.useGlobalFilters(new KongErrorFilter(logger));
  app.enableShutdownHooks();
  await app.listen(listen.port, listen.host);
  const server = app.getHttpServer() as Server;
  const port = (server.address() as AddressInfo).port;
  logger.info('admin API listening', { address: `${listen.host}:${port}` });
  return { port, close: () => app.close() };
}
