// Kong's declarative config format: parse (flatten nested entities, Kong's deterministic ids),
// validate as a whole, export nested or flat, and Kong's error for an invalid file.
export {
  DECLARATIVE_COLLECTIONS,
  DECLARATIVE_FORMAT_VERSION,
  renderPath,
  type DeclarativeEntities,
  type DeclarativeError,
  type PathSegment,
} from './model';
export { declarativeId, uuidV5, KONG_DECLARATIVE_NAMESPACE } from './ids';
export { parseDeclarative, type ParsedDeclarative } from './parse';
export { validateDeclarative, loadDeclarative, type ValidateDeclarativeOptions, type ValidatedDeclarative } from './validate';
export { exportDeclarative, type DeclarativeDocument, type ExportOptions } from './export';
export { DeclarativeConfigError, nestedErrorFields, flattenedErrors, type DeclarativeErrorBody, type FlattenedEntityError } from './errors';
