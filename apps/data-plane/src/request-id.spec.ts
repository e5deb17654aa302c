import { newRequestId } from './request-id';

describe('request ids', () => {
  it("are Kong's 32 lower-case hex characters, none repeated across blocks of entropy", () => {
    const ids = Array.from({ length: 2000 }, () => newRequestId());
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
