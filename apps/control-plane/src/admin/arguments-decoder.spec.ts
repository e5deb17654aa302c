import { BodyError, decodeBody, decodeForm, pageArgs } from './arguments-decoder';

/** A multipart body as a client (fetch, curl -F) sends it: [content type with boundary, bytes]. */
async function multipart(form: FormData): Promise<[string, Buffer]> {
  const req = new Request('http://127.0.0.1/', { method: 'POST', body: form });
  return [req.headers.get('content-type') as string, Buffer.from(await req.arrayBuffer())];
}

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

  it('answers 400 "Cannot parse JSON body" for broken JSON', async () => {
    await expect(decodeBody('application/json', Buffer.from('{"name":'))).rejects.toThrow('Cannot parse JSON body');
  });

  it('answers 415 for a body of an unsupported content type', async () => {
    await expect(decodeBody('text/plain', Buffer.from('name=x'))).rejects.toMatchObject({ status: 415 });
  });

  it('accepts an empty body with no content type', async () => {
    expect(await decodeBody(undefined, Buffer.alloc(0))).toEqual({ body: {}, fromForm: false });
  });

  it('decodes multipart/form-data with the form keys: dotted, indexed, `[]` and repeated', async () => {
    const form = new FormData();
    form.append('service.name', 'x');
    form.append('snis[2]', 'b.test');
    form.append('snis[1]', 'a.test');
    form.append('paths[]', '/a');
    form.append('paths[]', '/b');
    form.append('methods', 'GET');
    form.append('methods', 'POST');
    expect(await decodeBody(...(await multipart(form)))).toEqual({
      body: { service: { name: 'x' }, snis: ['a.test', 'b.test'], paths: ['/a', '/b'], methods: ['GET', 'POST'] },
      fromForm: true,
    });
  });

  it('takes a multipart file part (`curl -F cert=@cert.pem`) as its text, as Kong does', async () => {
    const form = new FormData();
    form.append('cert', new Blob(['-----BEGIN CERTIFICATE-----\nMIIB\n']), 'cert.pem');
    form.append('name', 'ünïcode');
    expect((await decodeBody(...(await multipart(form)))).body).toEqual({ cert: '-----BEGIN CERTIFICATE-----\nMIIB\n', name: 'ünïcode' });
  });

  it('answers 400 for a multipart body that does not parse (no boundary, or a foreign one)', async () => {
    await expect(decodeBody('multipart/form-data', Buffer.from('name=x'))).rejects.toMatchObject({
      status: 400,
      message: 'Cannot parse multipart/form-data body',
    });
    await expect(decodeBody('multipart/form-data; boundary=abc', Buffer.from('--xyz\r\n'))).rejects.toMatchObject({ status: 400 });
  });

  it('rejects a size above 1000 and a non-numeric size', () => {
    expect(() => pageArgs({ size: '1001' })).toThrow('between 1 and 1000');
    expect(() => pageArgs({ size: 'abc' })).toThrow('size must be a number');
    expect(pageArgs({})).toEqual({ size: 100, sizeGiven: false, offset: undefined });
  });
});

describe('conflicting form keys', () => {
  it('answers 400 when a key is used both as a value and as a record', () => {
    expect(() => decodeForm('a[1]=x&a[1].b=y')).toThrow(/conflicting values/);
  });
});

describe('form array indexes', () => {
  it('answers 400 for an index past the bound instead of allocating the array (fuzz seed 369208925)', () => {
    expect(() => decodeForm('a[4294967294]=1&a=2')).toThrow(/invalid array index in key 'a\.4294967294' \(indexes run from 1 to 10000\)/);
    expect(() => decodeForm('a[]=1&a[4294967295]=2')).toThrow(BodyError);
    expect(() => decodeForm('a[10001]=x')).toThrow(BodyError);
  });

  it('keeps indexes up to the bound', () => {
    const tree = decodeForm('a[10000]=x') as { a: unknown[] };
    expect(tree.a).toHaveLength(10000);
    expect(tree.a[9999]).toBe('x');
  });
});
