// A snapshot sent to a proxy worker travels in parts; the worker gets back exactly the snapshot.
import type { Route } from '@archway/schema';
import { ENTITIES_PER_PART, PartsReceiver, PartsSender, sendWithParts, TransferError } from './snapshot-transfer';
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

  it('sends the next snapshot as a delta against the last one sent, and the worker rebuilds it whole, its unchanged entities its own objects of before', () => {
    const sender = new PartsSender();
    const receiver = new PartsReceiver();
    const deliver = (msg: ToWorker) => {
      const sent: string[] = [];
      sender.send((m) => sent.push(JSON.stringify(m)), msg);
      return { sent, delivered: sent.map((text) => receiver.receive(JSON.parse(text))).filter((m) => m !== null) };
    };
    const first = deliver({ type: 'start', snapshot });
    expect(first.sent).toHaveLength(5);
    const before = (first.delivered[0] as { snapshot: typeof snapshot }).snapshot;
    const added = makeRoute(svc, { paths: ['/added'] });
    const next = snapshotOf(10, [svc], [...routes.slice(1), added]);
    const second = deliver({ type: 'apply', seq: 5, snapshot: { ...next, config: { ...next.config, routes: [...snapshot.config.routes.slice(1), added] } } });
    expect(sender.sent).toEqual({ whole: 1, deltas: 1 });
    expect(second.sent).toHaveLength(2); // one part (the added route), then the message naming the removed one
    expect(second.sent.join('').length).toBeLessThan(2000);
    const got = (second.delivered[0] as { snapshot: typeof snapshot }).snapshot;
    expect(got).toEqual(JSON.parse(JSON.stringify({ ...next, config: { ...next.config, routes: [...snapshot.config.routes.slice(1), added] } })));
    expect(got.config.routes[0]).toBe(before.config.routes[1]);
    expect(got.config.services).toBe(before.config.services);
  });

  it('refuses a delta whose base the worker does not hold; after reset() the sender sends whole again', () => {
    const sender = new PartsSender();
    const sent: string[] = [];
    sender.send((m) => sent.push(JSON.stringify(m)), { type: 'start', snapshot });
    sender.send((m) => sent.push(JSON.stringify(m)), { type: 'apply', seq: 1, snapshot: { ...snapshot, version: 10, hash: 'h10', config: { ...snapshot.config, routes: snapshot.config.routes.slice(1) } } });
    const fresh = new PartsReceiver(); // a worker that did not get the first
    expect(() => sent.slice(5).forEach((t) => fresh.receive(JSON.parse(t)))).toThrow(TransferError);
    sender.reset();
    const again: string[] = [];
    sender.send((m) => again.push(JSON.stringify(m)), { type: 'apply', seq: 2, snapshot });
    expect(sender.sent.whole).toBe(2);
    expect(again.map((t) => fresh.receive(JSON.parse(t))).filter((m) => m !== null)).toEqual([{ type: 'apply', seq: 2, snapshot: JSON.parse(JSON.stringify(snapshot)) }]);
  });
});
