import { parseArgs } from './args';

describe('archway command line', () => {
  it('turns --setting flags into the ARCHWAY_* variables the config loader reads', () => {
    expect(parseArgs(['data-plane', '--zone', 'a', '--proxy-listen=127.0.0.1:9000'])).toEqual({
      command: ['data-plane'],
      env: { ARCHWAY_ZONE: 'a', ARCHWAY_PROXY_LISTEN: '127.0.0.1:9000' },
      help: false,
    });
  });

  it('rejects an unknown option by name', () => {
    expect(() => parseArgs(['start', '--bogus', 'x'])).toThrow('unknown option --bogus');
  });

  it('rejects an option without a value', () => {
    expect(() => parseArgs(['start', '--zone'])).toThrow('option --zone needs a value');
  });
});
