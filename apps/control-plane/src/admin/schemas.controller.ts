// Kong's schema endpoints (kong/api/routes/kong.lua): GET /schemas/{entity}, GET /schemas/plugins/{name},
// POST /schemas/{entity}/validate and POST /schemas/plugins/validate. Validation is the Admin API's own
// (libs/schema, plugins by their schema through the same lookup) and writes nothing.
import { type ArgumentsHost, Catch, Controller, type ExceptionFilter, Get, HttpCode, Inject, Param, Post, UseFilters } from '@nestjs/common';
import { ENTITY_SCHEMAS, validateEntity, validatePlugin, type EntitySchema, type PluginLookup } from '@archway/schema';
import { AdminBody } from './admin-body';
import type { DecodedBody } from './arguments-decoder';
import type { ExpressResponse } from './express-types';
import { entitySchemaJson, pluginSchemaJson } from './schema-json';
import { PLUGIN_LOOKUP } from './tokens';

const VALID = { message: 'schema validation successful' } as const;

/** Kong answers an unknown schema with its own message rather than "Not found". */
class NoSuchSchema extends Error {}

@Catch(NoSuchSchema)
class NoSuchSchemaFilter implements ExceptionFilter {
  catch(err: NoSuchSchema, host: ArgumentsHost): void {
    host.switchToHttp().getResponse<ExpressResponse>().status(404).json({ message: err.message });
  }
}

const notFound = (message: string) => new NoSuchSchema(message);

@Controller('schemas')
@UseFilters(NoSuchSchemaFilter)
export class SchemasController {
  constructor(@Inject(PLUGIN_LOOKUP) private readonly plugins: PluginLookup) {}

  // before ':db_entity_name/validate', which would match it too
  @Post('plugins/validate')
  @HttpCode(200)
  validatePlugin(@AdminBody() b: DecodedBody) {
    validatePlugin(b.body, 'create', this.plugins, { fromForm: b.fromForm });
    return VALID;
  }

  @Get('plugins/:name')
  plugin(@Param('name') name: string) {
    const def = this.plugins(name);
    if (!def) throw notFound(`No plugin named '${name}'`);
    return pluginSchemaJson(def);
  }

  @Get(':name')
  entity(@Param('name') name: string) {
    return entitySchemaJson(this.schema(name));
  }

  @Post(':db_entity_name/validate')
  @HttpCode(200)
  validate(@Param('db_entity_name') name: string, @AdminBody() b: DecodedBody) {
    const schema = this.schema(name);
    if (schema.name === 'plugins') return this.validatePlugin(b);
    validateEntity(schema, b.body, 'create', { fromForm: b.fromForm });
    return VALID;
  }

  private schema(name: string): EntitySchema {
    const schema = ENTITY_SCHEMAS.find((s) => s.name === name);
    if (!schema) throw notFound(`No entity named '${name}'`);
    return schema;
  }
}
