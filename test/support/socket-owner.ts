// Which process holds the server end of a TCP connection over IPv4 loopback, read from Linux's /proc:
// the connection's inode from /proc/net/tcp, then the process whose file descriptors include it. Lets
// a test see which data-plane worker (node:cluster hands each accepted connection to one) served it.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

const hexPort = (port: number) => port.toString(16).toUpperCase().padStart(4, '0');

/** inode of the socket whose local port is `serverPort` and remote port `clientPort`, or null */
function serverSocketInode(serverPort: number, clientPort: number): string | null {
  const local = `:${hexPort(serverPort)}`;
  const remote = `:${hexPort(clientPort)}`;
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
    if (f.length > 9 && f[1].endsWith(local) && f[2].endsWith(remote) && f[9] !== '0') return f[9];
  }
  return null;
}

/** Of `pids`, the one holding the server end of the connection from `clientPort` to `serverPort`, or null. */
export function socketOwner(serverPort: number, clientPort: number, pids: readonly number[]): number | null {
  const inode = serverSocketInode(serverPort, clientPort);
  if (inode === null) return null;
  const wanted = `socket:[${inode}]`;
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // exited
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === wanted) return pid;
      } catch {
        // closed meanwhile
      }
    }
  }
  return null;
}
