// A snapshot sent to a proxy worker travels in parts; the worker gets back exactly the snapshot.
import type { Route } from '@archway/schema';
import { changesOf, recordChanges } from './snapshot-changes';
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

  /** A primary's sender and a worker's receiver; deliver() sends a message through both over JSON, as IPC does. */
  function link() {
    const sender = new PartsSender();
    const receiver = new PartsReceiver();
    const deliver = (msg: ToWorker) => {
      const sent: string[] = [];
      sender.send((m) => sent.push(JSON.stringify(m)), msg);
      const delivered = sent.map((text) => receiver.receive(JSON.parse(text))).filter((m) => m !== null);
      return { sent, delivered, snapshot: (delivered[0] as { snapshot: typeof snapshot }).snapshot };
    };
    return { sender, deliver };
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
    const { sender, deliver } = link();
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

  it('tells the compile which routes a delta added and which of the last snapshot\'s route objects it took out', () => {
    const { deliver } = link();
    const before = deliver({ type: 'start', snapshot }).snapshot;
    const added = makeRoute(svc, { paths: ['/added'] });
    const moved = { ...snapshot.config.routes[3], paths: ['/moved'] };
    const routesNext = [...snapshot.config.routes.slice(1, 3), moved, ...snapshot.config.routes.slice(4), added];
    const got = deliver({ type: 'apply', seq: 5, snapshot: { ...snapshotOf(10, [svc], routesNext), config: { ...snapshot.config, routes: routesNext } } }).snapshot;
    const made = changesOf(got);
    expect(made?.from).toBe(before);
    const ids = (list: readonly { id: string }[] = []) => list.map((r) => r.id).sort();
    const put = (made?.upserted.routes ?? []) as Route[];
    expect(ids(put)).toEqual(ids([added, moved]));
    for (const r of put) expect(got.config.routes).toContain(r);
    expect(made?.dropped.routes).toEqual(expect.arrayContaining([before.config.routes[0], before.config.routes[3]]));
    expect(made?.dropped.routes).toHaveLength(2);
  });

  it('sends what the delta that made a snapshot changed, without comparing every entity', () => {
    const { sender, deliver } = link();
    deliver({ type: 'start', snapshot });
    // the next snapshot's routes all new objects (copies): compared by identity, every one changed
    const added = makeRoute(svc, { paths: ['/added'] });
    const next = { ...snapshot, version: 10, hash: 'h10', config: { ...snapshot.config, routes: [...snapshot.config.routes.map((r) => ({ ...r })), added] } };
    const unrecorded = deliver({ type: 'apply', seq: 1, snapshot: next });
    expect(sender.sent).toEqual({ whole: 2, deltas: 0 });
    expect(unrecorded.sent.length).toBeGreaterThan(3); // every route again, in parts
    // the same with the change that made it recorded against the snapshot sent before: the added route only
    const told = { ...next, version: 11, hash: 'h11', config: { ...next.config, routes: next.config.routes.map((r) => ({ ...r })) } };
    const again = makeRoute(svc, { paths: ['/again'] });
    told.config.routes.push(again);
    recordChanges(told, { from: next, upserted: { routes: [again] }, removed: {}, dropped: {} });
    const recorded = deliver({ type: 'apply', seq: 2, snapshot: told });
    expect(sender.sent).toEqual({ whole: 2, deltas: 1 });
    expect(recorded.sent).toHaveLength(2); // the added route's part, then the message
    expect(recorded.sent.join('').length).toBeLessThan(2000);
    expect(recorded.snapshot).toEqual(JSON.parse(JSON.stringify(told)));
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
