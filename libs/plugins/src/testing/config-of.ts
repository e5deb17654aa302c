// Spec helper: validates a plugin config the way the control plane does (the config record through @archway/schema).
import { validateValue } from '@archway/schema';
import type { PluginSchema } from '../plugin-schema';

export function configOf(schema: PluginSchema, config: unknown, fromForm = false) {
  return validateValue(schema.config, config, fromForm);
}
