import { decodeBody, decodeForm, pageArgs } from './arguments-decoder';

describe('Admin API body decoding (Kong arguments_decoder)', () => {
  it('decodes `paths[]=` repeated into an array, in order', () => {
    expect(decodeForm('paths[]=/a&paths[]=/b')).toEqual({ paths: ['/a', '/b'] });
  });

  it('decodes 1-based indexed arrays `paths[1]=`', () => {
    expect(decodeForm('paths[2]=/b&paths[1]=/a')).toEqual({ paths: ['/a', '/b'] });
  });

  it('turns a repeated plain key into an array', () => {
    expect(decodeForm('methods=GET&methods=POST')).toEqual({ methods: ['GET', 'POST'] });
  });

  it('nests dotted keys `service.name=x` and `headers.x-v[]=1`', () => {
    expect(decodeForm('service.name=x&headers.x-v[]=1&headers.x-v[]=2')).toEqual({
      service: { name: 'x' },
      headers: { 'x-v': ['1', '2'] },
    });
  });

  it('answers 400 "Cannot parse JSON body" for broken JSON', () => {
    expect(() => decodeBody('application/json', Buffer.from('{"name":'))).toThrow('Cannot parse JSON body');
  });

  it('answers 415 for a body of an unsupported content type', () => {
    expect(() => decodeBody('text/plain', Buffer.from('name=x'))).toThrow(expect.objectContaining({ status: 415 }));
  });

  it('accepts an empty body with no content type', () => {
    expect(decodeBody(undefined, Buffer.alloc(0))).toEqual({ body: {}, fromForm: false });
  });

  it('rejects a size above 1000 and a non-numeric size', () => {
    expect(() => pageArgs({ size: '1001' })).toThrow('between 1 and 1000');
    expect(() => pageArgs({ size: 'abc' })).toThrow('size must be a number');
    expect(pageArgs({})).toEqual({ size: 100, sizeGiven: false, offset: undefined });
  });
});
