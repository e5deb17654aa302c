import { BUNDLED_HANDLERS, BUNDLED_PLUGINS } from './index';

describe('BUNDLED_HANDLERS', () => {
  it("runs each handler with its schema's name, priority and version", () => {
    for (const [name, handler] of BUNDLED_HANDLERS) {
      const schema = BUNDLED_PLUGINS.get(name);
      expect(schema).toBeDefined();
      expect({ name: handler.name, priority: handler.priority, version: handler.version }).toEqual({ name, priority: schema!.priority, version: schema!.version });
    }
  });

  it('has the auth, traffic and transformation plugins', () => {
    // arrayContaining: other handlers join the map as they land
    expect([...BUNDLED_HANDLERS.keys()]).toEqual(
      expect.arrayContaining(['acl', 'basic-auth', 'canary', 'correlation-id', 'cors', 'external', 'ip-restriction', 'jwt', 'key-auth', 'request-size-limiting', 'request-termination', 'request-transformer', 'response-transformer']),
    );
  });
});
