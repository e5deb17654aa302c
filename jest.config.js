// One runner for the whole repo: unit specs beside the code, black-box e2e in test/e2e.
// swc compiles TypeScript with decorator metadata, which NestJS's DI needs.
const swc = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};

const moduleNameMapper = {
  '^@archway/telemetry/testing$': '<rootDir>/libs/telemetry/src/testing/otlp-receiver.ts',
  '^@archway/(schema|sync|router|pipeline|telemetry|config|plugins|balancer)$': '<rootDir>/libs/$1/src/index.ts',
};

const common = {
  transform: { '^.+\\.ts$': ['@swc/jest', swc] },
  moduleNameMapper,
  testEnvironment: 'node',
  rootDir: __dirname,
};

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.e2e.ts'],
      testTimeout: 60000,
    },
  ],
};
