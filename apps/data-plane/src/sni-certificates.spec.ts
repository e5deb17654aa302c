import { compileSniCertificates, normalizeServerName } from './sni-certificates';
import { certificateEntity, makeLeaf, sniEntity } from './testing/tls-fixtures';

describe('certificates by SNI (compiled)', () => {
  const exact = certificateEntity(makeLeaf('api.example.com'));
  const prefix = certificateEntity(makeLeaf('wild-prefix.test'));
  const suffix = certificateEntity(makeLeaf('wild-suffix.test'));
  const any = certificateEntity(makeLeaf('default.test'));
  const config = {
    certificates: [exact, prefix, suffix, any],
    snis: [
      sniEntity('api.example.com', exact),
      sniEntity('*.example.com', prefix),
      sniEntity('www.example.*', suffix),
      sniEntity('*', any),
    ],
  };

  it("looks names up in Kong's order: exact, *.rest, first.*, then *", () => {
    const t = compileSniCertificates(config);
    const ctx = (id: string) => id;
    expect(t.lookup('api.example.com')?.certificateId).toBe(ctx(exact.id));
    expect(t.lookup('API.Example.com.')?.certificateId).toBe(ctx(exact.id));
    expect(t.lookup('shop.example.com')?.certificateId).toBe(ctx(prefix.id));
    // only the first label is replaced: a.b.example.com is not under *.example.com
    expect(t.lookup('a.b.example.com')?.certificateId).toBe(ctx(any.id));
    expect(t.lookup('www.example.org')?.certificateId).toBe(ctx(suffix.id));
    expect(t.lookup('unknown.test')?.certificateId).toBe(ctx(any.id));
  });

  it('gives the * certificate for clients without SNI, and nothing (the built-in default) when there is no *', () => {
    expect(compileSniCertificates(config).lookup('')?.certificateId).toBe(any.id);
    const noDefault = compileSniCertificates({ certificates: [exact], snis: [sniEntity('api.example.com', exact)] });
    expect(noDefault.lookup('')).toBeNull();
    expect(noDefault.lookup('other.test')).toBeNull();
  });

  it('reuses the SecureContext of a certificate that did not change across snapshots', () => {
    const first = compileSniCertificates(config).lookup('api.example.com')?.context;
    const second = compileSniCertificates({ ...config, snis: config.snis.slice(0, 1) }).lookup('api.example.com')?.context;
    expect(first).toBeDefined();
    expect(second).toBe(first);
  });

  it('normalises server names: lower case, no trailing dot', () => {
    expect(normalizeServerName('Api.Example.COM.')).toBe('api.example.com');
    expect(normalizeServerName('*')).toBe('*');
  });
});
