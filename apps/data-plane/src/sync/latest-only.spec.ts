import { LatestOnly } from './latest-only';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('LatestOnly', () => {
  it('runs only the newest of the items offered while one runs, after it', async () => {
    const ran: number[] = [];
    const q = new LatestOnly<number>(async (n) => {
      await tick();
      ran.push(n);
    });
    for (let i = 1; i <= 10; i++) q.offer(i);
    await q.idle();
    expect(ran).toEqual([1, 10]);
  });

  it('keeps going after a job fails', async () => {
    const ran: number[] = [];
    const q = new LatestOnly<number>(async (n) => {
      if (n === 1) throw new Error('boom');
      ran.push(n);
    });
    q.offer(1);
    q.offer(2);
    await q.idle();
    expect(ran).toEqual([2]);
  });

  it('clear() drops what waits', async () => {
    const ran: number[] = [];
    const q = new LatestOnly<number>(async (n) => {
      await tick();
      ran.push(n);
    });
    q.offer(1);
    q.offer(2);
    q.clear();
    await q.idle();
    expect(ran).toEqual([1]);
  });
});
