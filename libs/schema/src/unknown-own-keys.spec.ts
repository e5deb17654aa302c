// Keys that name Object.prototype members are unknown fields like any other (found by the Admin API
// fuzz test: `constructor` was taken as known and silently dropped). `__proto__` is refused at the
// Admin API's body decoding (apps/control-plane/src/admin/storable-text.ts).
import { violationOf } from './testing/violations';
import { validateEntity } from './entity';
import { serviceSchema } from './entities/service';

const violation = (input: Record<string, unknown>) => violationOf(() => validateEntity(serviceSchema, input, 'create'));

describe('fields named after Object.prototype members', () => {
  it.each(['constructor', 'toString', 'hasOwnProperty'])('%s is an unknown field', (key) => {
    expect(violation({ host: 'a.test', [key]: 1 }).fields).toEqual({ [key]: 'unknown field' });
  });
});
