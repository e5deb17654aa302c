// Whether the client a response was for is gone: its connection (HTTP/1) or its stream (HTTP/2) closed.
import type { ServerResponse } from 'node:http';

export function responseClosed(res: ServerResponse): boolean {
  // the HTTP/2 compat response has no `destroyed` of its own: its stream has
  return res.destroyed || (res as unknown as { stream?: { destroyed?: boolean } }).stream?.destroyed === true;
}
