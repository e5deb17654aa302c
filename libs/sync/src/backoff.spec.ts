import { Backoff } from './backoff';

describe('Backoff', () => {
  it('doubles the ceiling per attempt up to the cap (full jitter: random * ceiling)', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0.999999 });
    expect([b.next(), b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([99, 199, 399, 799, 999, 999]);
  });

  it('never waits longer than the cap, however many attempts', () => {
    const b = new Backoff({ initialMs: 500, maxMs: 30_000, random: () => 0.999999 });
    for (let i = 0; i < 2000; i++) expect(b.next()).toBeLessThan(30_000);
  });

  it('spreads delays between 0 and the ceiling', () => {
    const b = new Backoff({ initialMs: 1000, random: () => 0 });
    expect(b.next()).toBe(0);
    const half = new Backoff({ initialMs: 1000, random: () => 0.5 });
    expect(half.next()).toBe(500);
  });

  it('starts over from the initial delay after reset (a success)', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 10_000, random: () => 0.999999 });
    b.next();
    b.next();
    b.next();
    b.reset();
    expect(b.attempt).toBe(0);
    expect(b.next()).toBe(99);
  });

  it('defaults to Envoy-like 500 ms initial and 30 s cap', () => {
    const b = new Backoff({ random: () => 0.999999 });
    expect(b.ceiling()).toBe(500);
    for (let i = 0; i < 20; i++) b.next();
    expect(b.ceiling()).toBe(30_000);
  });
});
