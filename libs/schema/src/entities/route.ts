// The routes entity (kong/db/schema/entities/routes.lua).
import type { EntitySchema } from '../entity';
import type { FieldErrors } from '../errors';
import { regexSafetyProblem } from '../regex-safety';
import { isValidHostname, id, protocols, tags, timestamp, utf8Name } from './typedefs';

const METHOD_RE = /^[A-Z]+$/;

function checkRoutePath(v: string): string | null {
  if (v.startsWith('~')) {
    try {
      new RegExp(v.slice(1));
    } catch {
      return `invalid regex: '${v.slice(1)}'`;
    }
    // the router anchors a path regex with `^`; a pattern that can backtrack for ever is refused
    return regexSafetyProblem(v.slice(1), { anchored: true });
  }
  if (!v.startsWith('/')) return 'should start with: / (fixed path) or ~/ (regex path)';
  if (/[^\x21-\x7e]/.test(v)) return 'invalid path: must contain only printable ascii characters';
  return null;
}

function checkRouteHost(v: string): string | null {
  const [name, portPart, extra] = v.split(':');
  if (extra !== undefined || (portPart !== undefined && !/^\d{1,5}$/.test(portPart)))
    return `invalid port number`;
  const wildcards = name.split('*').length - 1;
  if (wildcards > 1) return 'invalid wildcard: only one wildcard is allowed';
  if (wildcards === 1) {
    if (!name.startsWith('*.') && !name.endsWith('.*'))
      return 'invalid wildcard: must be placed at leftmost or rightmost label';
    const rest = name.startsWith('*.') ? name.slice(2) : name.slice(0, -2);
    return isValidHostname(rest) ? null : `invalid hostname: ${v}`;
  }
  return isValidHostname(name) ? null : `invalid hostname: ${v}`;
}

/** A header's single `~*` value is a case-insensitive regex searched anywhere in the value (as the router compiles it). */
function headerRegexErrors(headers: Record<string, string[]>): FieldErrors | null {
  const errors: FieldErrors = {};
  for (const [name, values] of Object.entries(headers)) {
    if (values.length !== 1 || !values[0].startsWith('~*')) continue;
    const source = values[0].slice(2);
    let problem: string | null;
    try {
      new RegExp(source, 'i');
      problem = regexSafetyProblem(source, { ignoreCase: true });
    } catch {
      problem = `invalid regex: '${source}'`;
    }
    if (problem) errors[name] = [problem];
  }
  return Object.keys(errors).length ? errors : null;
}

export const routeSchema: EntitySchema = {
  name: 'routes',
  endpointKey: 'name',
  fields: {
    id,
    created_at: timestamp,
    updated_at: timestamp,
    name: utf8Name,
    protocols: {
      type: 'set',
      required: true,
      default: ['http', 'https'],
      len_min: 1,
      elements: { type: 'string', oneOf: protocols },
    },
    methods: {
      type: 'set',
      elements: { type: 'string', check: (v) => (METHOD_RE.test(v) ? null : `invalid value: ${v}`) },
    },
    hosts: { type: 'array', elements: { type: 'string', check: checkRouteHost } },
    paths: { type: 'array', elements: { type: 'string', check: checkRoutePath } },
    headers: {
      type: 'map',
      keys: { type: 'string' },
      values: { type: 'array', len_min: 1, elements: { type: 'string' } },
    },
    https_redirect_status_code: { type: 'integer', required: true, default: 426, oneOf: [426, 301, 302, 307, 308] },
    regex_priority: { type: 'integer', default: 0 },
    strip_path: { type: 'boolean', required: true, default: true },
    path_handling: { type: 'string', default: 'v0', oneOf: ['v0', 'v1'] },
    preserve_host: { type: 'boolean', required: true, default: false },
    request_buffering: { type: 'boolean', required: true, default: true },
    response_buffering: { type: 'boolean', required: true, default: true },
    snis: { type: 'set', elements: { type: 'string', check: (v) => (isValidHostname(v.replace(/^\*\./, '')) ? null : `invalid hostname: ${v}`) } },
    sources: { type: 'set', elements: { type: 'record', fields: { ip: { type: 'string' }, port: { type: 'integer', between: [0, 65535] } } } },
    destinations: { type: 'set', elements: { type: 'record', fields: { ip: { type: 'string' }, port: { type: 'integer', between: [0, 65535] } } } },
    tags,
    service: { type: 'foreign', reference: 'services' },
  },
  normalize(route) {
    // Header names are case-insensitive: store them lower-cased, as matching uses them.
    if (route.headers && typeof route.headers === 'object' && !Array.isArray(route.headers))
      route.headers = Object.fromEntries(Object.entries(route.headers).map(([k, v]) => [k.toLowerCase(), v]));
    return route;
  },
  check(route) {
    const errors: FieldErrors = {};
    const headers = route.headers as Record<string, string[]> | null;
    if (headers && 'host' in headers)
      errors.headers = "cannot contain 'host' header, which must be specified in the 'hosts' attribute";
    else if (headers) {
      const regexErrors = headerRegexErrors(headers);
      if (regexErrors) errors.headers = regexErrors;
    }
    const protos = route.protocols as string[];
    const isSet = (f: string) => {
      const v = route[f];
      return v !== null && v !== undefined && (Array.isArray(v) ? v.length > 0 : Object.keys(v).length > 0);
    };
    if (protos.includes('https') && !['methods', 'hosts', 'headers', 'paths', 'snis'].some(isSet))
      errors['@entity'] = ["must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https'"];
    else if (protos.includes('http') && !['methods', 'hosts', 'headers', 'paths'].some(isSet))
      errors['@entity'] = ["must set one of 'methods', 'hosts', 'headers', 'paths' when 'protocols' is 'http'"];
    if (route.snis && isSet('snis') && !protos.some((p) => p === 'https' || p === 'tls' || p === 'grpcs'))
      errors.snis = "'snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls' or 'tls_passthrough'";
    return Object.keys(errors).length ? errors : null;
  },
};
