// request-transformer (kong/plugins/request-transformer/schema.lua, Kong 3.9). Operations run in the
// order remove, rename, replace, add, append; each over headers, querystring and body.
import { BUNDLED_PLUGIN_VERSION, PROTOCOLS_HTTP, type PluginSchema } from '../plugin-schema';
import { colonHeaders, colonStrings, headerNames, strings } from '../transform-fields';
import { httpMethod } from '../typedefs';

export const requestTransformerSchema: PluginSchema = {
  name: 'request-transformer',
  version: BUNDLED_PLUGIN_VERSION,
  priority: 801,
  protocols: PROTOCOLS_HTTP,
  config: {
    type: 'record',
    fields: {
      /** change the upstream request's method */
      http_method: httpMethod,
      /** names to drop */
      remove: { type: 'record', fields: { body: strings, headers: headerNames, querystring: strings } },
      /** `old:new` names */
      rename: { type: 'record', fields: { body: colonStrings, headers: colonHeaders, querystring: colonStrings } },
      /** `name:value`, only where the name exists; `uri` replaces the upstream path */
      replace: {
        type: 'record',
        fields: { body: colonStrings, headers: colonHeaders, querystring: colonStrings, uri: { type: 'string' } },
      },
      /** `name:value`, only where the name does not exist */
      add: { type: 'record', fields: { body: colonStrings, headers: colonHeaders, querystring: colonStrings } },
      /** `name:value`, adding a value to what exists */
      append: { type: 'record', fields: { body: colonStrings, headers: colonHeaders, querystring: colonStrings } },
    },
  },
};
