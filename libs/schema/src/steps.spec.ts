import { runSteps, sortSteps, type Steps } from './steps';

function* counted(n: number): Steps<number> {
  let sum = 0;
  for (let i = 1; i <= n; i++) {
    sum += i;
    yield;
  }
  return sum;
}

describe('steps', () => {
  it('runSteps runs a generator to its end and returns its result', () => {
    expect(runSteps(counted(100))).toBe(5050);
  });

  it('sortSteps sorts as Array.prototype.sort does, stably, over many runs, yielding along the way', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const items = Array.from({ length: 5000 }, (_, i) => ({ key: Math.floor(random() * 300), i }));
    const byKey = (a: { key: number }, b: { key: number }) => a.key - b.key;
    const steps = sortSteps(items, byKey);
    let yields = 0;
    let r = steps.next();
    for (; !r.done; r = steps.next()) yields++;
    expect(r.value).toEqual([...items].sort(byKey)); // equal keys keep their order (stable)
    expect(yields).toBeGreaterThan(10);
    expect(items[0]).toEqual({ key: expect.any(Number), i: 0 }); // the input is left as it was
  });

  it('sortSteps returns an already sorted list as a copy after one pass', () => {
    const sorted = Array.from({ length: 2000 }, (_, i) => i);
    const result = runSteps(sortSteps(sorted, (a, b) => a - b));
    expect(result).toEqual(sorted);
    expect(result).not.toBe(sorted);
    expect(runSteps(sortSteps([], (a: number, b: number) => a - b))).toEqual([]);
  });
});
