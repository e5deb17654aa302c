// Lint: TypeScript rules plus Nx module boundaries, which enforce the dependency arrows in ARCHITECTURE.md.
import nx from '@nx/eslint-plugin';

const dataPlaneBanned = ['@nestjs/*', 'typeorm', '@nestjs/typeorm', 'reflect-metadata', 'pg'];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  { ignores: ['**/dist', '**/node_modules', '**/generated/**', '.archway', '.nx', 'libs/*/index.js', 'apps/*/index.js'] },
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:schema', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'type:telemetry', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'type:config', onlyDependOnLibsWithTags: ['type:telemetry'] },
            { sourceTag: 'type:sync', onlyDependOnLibsWithTags: ['type:schema'] },
            { sourceTag: 'type:router', onlyDependOnLibsWithTags: ['type:schema'] },
            { sourceTag: 'type:balancer', onlyDependOnLibsWithTags: ['type:schema'] },
            { sourceTag: 'type:pipeline', onlyDependOnLibsWithTags: ['type:schema'] },
            { sourceTag: 'type:plugin', onlyDependOnLibsWithTags: ['type:pipeline', 'type:schema', 'type:telemetry'] },
            {
              sourceTag: 'type:app',
              onlyDependOnLibsWithTags: ['type:schema', 'type:telemetry', 'type:config', 'type:sync', 'type:router', 'type:balancer', 'type:pipeline', 'type:plugin'],
            },
            { sourceTag: 'scope:data-plane', bannedExternalImports: dataPlaneBanned },
            { sourceTag: 'scope:shared', bannedExternalImports: dataPlaneBanned },
          ],
        },
      ],
    },
  },
];
