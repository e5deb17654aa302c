import { correlationIdSchema } from './correlation-id/schema';
import { requestTransformerSchema } from './request-transformer/schema';
import { responseTransformerSchema } from './response-transformer/schema';
import { configOf } from './testing/config-of';

describe('request-transformer schema', () => {
  it("fills Kong's defaults for an empty config", () => {
    const ops = { body: [], headers: [], querystring: [] };
    expect(configOf(requestTransformerSchema, {})).toEqual({
      value: { http_method: null, remove: ops, rename: ops, replace: { ...ops, uri: null }, add: ops, append: ops },
    });
  });

  it('rejects an added header without a value', () => {
    expect(configOf(requestTransformerSchema, { add: { querystring: ['page'] } }).error).toEqual({
      add: { querystring: ["key 'page' has no value"] },
    });
  });

  it('rejects a bad header name and a lower-case method', () => {
    expect(configOf(requestTransformerSchema, { add: { headers: ['x y:1'] } }).error).toEqual({
      add: { headers: ["bad header name 'x y', allowed characters are A-Z, a-z, 0-9, '_', and '-'"] },
    });
    expect(configOf(requestTransformerSchema, { http_method: 'post' }).error).toEqual({ http_method: 'invalid value: post' });
  });
});

describe('response-transformer schema', () => {
  it("fills Kong's defaults for an empty config", () => {
    const withJson = { json: [], json_types: [], headers: [] };
    expect(configOf(responseTransformerSchema, {})).toEqual({
      value: { remove: { json: [], headers: [] }, rename: { headers: [], json: [] }, replace: withJson, add: withJson, append: withJson },
    });
  });

  it('rejects an unknown JSON type', () => {
    expect(configOf(responseTransformerSchema, { add: { json: ['a:1'], json_types: ['int'] } }).error).toEqual({
      add: { json_types: ['expected one of: boolean, number, string'] },
    });
  });
});

describe('correlation-id schema', () => {
  it("fills Kong's defaults for an empty config", () => {
    expect(configOf(correlationIdSchema, {})).toEqual({
      value: { header_name: 'Kong-Request-ID', generator: 'uuid#counter', echo_downstream: false },
    });
  });

  it('rejects an unknown generator', () => {
    expect(configOf(correlationIdSchema, { generator: 'ulid' }).error).toEqual({ generator: 'expected one of: uuid, uuid#counter, tracker' });
  });
});
