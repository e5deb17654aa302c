// Every migration, in order. Migrations are the only way the schema changes (never `synchronize`).
import { InitialSchema1764000000000 } from './1764000000000-initial-schema';
import { AllEntities1764100000000 } from './1764100000000-all-entities';
import { ConfigHistory1764200000000 } from './1764200000000-config-history';

export const MIGRATIONS = [InitialSchema1764000000000, AllEntities1764100000000, ConfigHistory1764200000000];
