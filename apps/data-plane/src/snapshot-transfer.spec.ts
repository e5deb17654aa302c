// A snapshot sent to a proxy worker travels in parts; the worker gets back exactly the snapshot.
import type { Route } from '@archway/schema';
import { ENTITIES_PER_PART, PartsReceiver, sendWithParts } from './snapshot-transfer';
import { makeRoute, makeService, snapshotOf } from './testing/fixtures';
import type { ToWorker } from './worker-messages';

describe('snapshot transfer to workers', () => {
  const svc = makeService({});
  const routes: Route[] = [];
  for (let i = 0; i < 2 * ENTITIES_PER_PART + 1; i++) routes.push(makeRoute(svc, { paths: [`/r${i}`] }));
  const snapshot = snapshotOf(9, [svc], routes);

  /** What crosses the IPC channel: each message as JSON text, as node's IPC sends it. */
  function wire(msg: ToWorker): string[] {
    const sent: string[] = [];
    sendWithParts((m) => sent.push(JSON.stringify(m)), msg);
    return sent;
  }

  it('sends the routes in parts of at most ENTITIES_PER_PART, and the worker reassembles the same snapshot', () => {
    const sent = wire({ type: 'apply', seq: 4, snapshot });
    expect(sent).toHaveLength(1 + 3 + 1); // services, routes in 3 parts, then the apply message
    expect(sent.every((text) => text.length < JSON.stringify(snapshot).length / 2)).toBe(true);
    const receiver = new PartsReceiver();
    const delivered = sent.map((text) => receiver.receive(JSON.parse(text))).filter((m) => m !== null);
    expect(delivered).toEqual([{ type: 'apply', seq: 4, snapshot: JSON.parse(JSON.stringify(snapshot)) }]);
  });

  it('passes messages without a snapshot through unchanged, and a start with none', () => {
    const receiver = new PartsReceiver();
    expect(wire({ type: 'start', snapshot: null }).map((t) => receiver.receive(JSON.parse(t)))).toEqual([{ type: 'start', snapshot: null }]);
    expect(wire({ type: 'drain', graceMs: 5 }).map((t) => receiver.receive(JSON.parse(t)))).toEqual([{ type: 'drain', graceMs: 5 }]);
  });
});
