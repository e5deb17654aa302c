// response-transformer (kong/plugins/response-transformer/schema.lua, Kong 3.9). Operations run in
// the order remove, rename, replace, add, append, over headers and top-level JSON body fields.
import { BUNDLED_PLUGIN_VERSION, PROTOCOLS_HTTP, type PluginSchema } from '../plugin-schema';
import { colonStrings, jsonTypes, strings } from '../transform-fields';

/** `json_types[i]` is the type of `json[i]`'s value (default string). */
const withJson = { json: colonStrings, json_types: jsonTypes, headers: colonStrings };

export const responseTransformerSchema: PluginSchema = {
  name: 'response-transformer',
  version: BUNDLED_PLUGIN_VERSION,
  priority: 800,
  protocols: PROTOCOLS_HTTP,
  config: {
    type: 'record',
    fields: {
      remove: { type: 'record', fields: { json: strings, headers: strings } },
      rename: { type: 'record', fields: { headers: colonStrings, json: colonStrings } },
      replace: { type: 'record', fields: withJson },
      add: { type: 'record', fields: withJson },
      append: { type: 'record', fields: withJson },
    },
  },
};
