// file-log (kong/plugins/file-log/schema.lua, Kong 3.9).
import { configChecks, noLuaCode } from '../checks';
import { BUNDLED_PLUGIN_VERSION, PROTOCOLS_ALL, type PluginSchema } from '../plugin-schema';
import { luaCode } from '../typedefs';

/** Kong's `match = "^[^*&%%\`]+$"`, err "not a valid filename". */
const FILENAME_RE = /^[^*&%\\`]+$/;

export const fileLogSchema: PluginSchema = {
  name: 'file-log',
  version: BUNDLED_PLUGIN_VERSION,
  priority: 9,
  protocols: PROTOCOLS_ALL,
  config: {
    type: 'record',
    fields: {
      /** file the JSON log lines are appended to (created if missing) */
      path: { type: 'string', required: true, check: (v) => (FILENAME_RE.test(v) ? null : 'not a valid filename') },
      /** close and reopen the file for every line (for log rotation) */
      reopen: { type: 'boolean', required: true, default: false },
      custom_fields_by_lua: luaCode,
    },
    check: configChecks([noLuaCode]),
  },
};
