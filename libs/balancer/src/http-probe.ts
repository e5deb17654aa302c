// The default active health check probe, which the data plane passes to compileBalancer. http/https:
// one request on a fresh connection (no keep-alive, as Kong's checker), the body discarded. tcp and
// grpc: a connection that opens is a success; grpcs: a TLS handshake that completes.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { Agent, request } from 'undici';
import type { ProbeRequest, ProbeResult } from './types';

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

export async function httpProbe(req: ProbeRequest): Promise<ProbeResult> {
  if (req.type === 'http' || req.type === 'https') return httpRequest(req);
  return connectOnly(req);
}

async function httpRequest(req: ProbeRequest): Promise<ProbeResult> {
  const scheme = req.type === 'https' ? 'https' : 'http';
  const host = req.host.includes(':') ? `[${req.host}]` : req.host;
  const agent = new Agent({
    connectTimeout: req.timeoutMs,
    headersTimeout: req.timeoutMs,
    bodyTimeout: req.timeoutMs,
    pipelining: 0,
    connect: { rejectUnauthorized: req.verifyCertificate, servername: req.sni ?? sniFor(req.hostHeader) },
  });
  try {
    const res = await request(`${scheme}://${host}:${req.port}${req.path}`, {
      method: 'GET',
      dispatcher: agent,
      // undici's own timeouts tick at a coarse resolution; this one bounds the whole probe precisely
      signal: AbortSignal.timeout(req.timeoutMs),
      headers: { ...req.headers, host: req.hostHeader, connection: 'close' },
    });
    await res.body.dump();
    return { status: res.statusCode };
  } catch (err) {
    const e = err as { code?: string; name?: string };
    return TIMEOUT_CODES.has(e.code ?? '') || e.name === 'TimeoutError' ? { timeout: true } : { tcpError: true };
  } finally {
    void agent.close().catch(() => undefined);
  }
}

function connectOnly(req: ProbeRequest): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let socket: Socket;
    const done = (result: ProbeResult): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done({ timeout: true }), req.timeoutMs);
    if (req.type === 'grpcs') {
      socket = tlsConnect(
        { host: req.host, port: req.port, servername: req.sni ?? sniFor(req.hostHeader), rejectUnauthorized: req.verifyCertificate },
        () => done({ connected: true }),
      );
    } else {
      socket = netConnect({ host: req.host, port: req.port }, () => done({ connected: true }));
    }
    socket.on('error', () => done({ tcpError: true }));
  });
}

/** SNI must be a name: an ip host header sends none. */
function sniFor(hostHeader: string): string | undefined {
  return /^[\d.]+$/.test(hostHeader) || hostHeader.includes(':') ? undefined : hostHeader;
}
