// ESLint flat config. Besides type-aware correctness rules, it encodes the architecture the README
// describes, so the layering holds by rule rather than by care:
// - pure cores import no queue, Redis, HTTP or WebSocket code (and no adapter of another package);
// - nothing imports a worker.ts (the launcher loads them by name, see packages/cli/src/worker.ts);
// - the sim venue imports nothing of the bot; strategy imports no risk, execution or later layer;
// - no deep imports: another package is reached only through its `exports` map (root or a named
//   adapter subpath such as `@polybot/execution/venue`).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier/flat';
import tseslint from 'typescript-eslint';

/** Modules a pure core may not import, not even for types: a core that names them talks to them. */
const INFRA = [
  'bullmq',
  'ioredis',
  'axios',
  'ws',
  'express',
  'node:http',
  'node:https',
  'http',
  'https',
  'node:net',
  '@bull-board/*',
  '@polymarket/clob-client-v2',
  'better-sqlite3',
];

/** Adapter subpaths of the workspace packages (see each package.json `exports`). */
const ADAPTER_SUBPATHS = [
  '@polybot/shared/queues',
  '@polybot/shared/redis',
  '@polybot/shared/redisRateLimit',
  '@polybot/shared/redisServer',
  '@polybot/shared/redisPersistence',
  '@polybot/shared/breaker',
  '@polybot/shared/status',
  '@polybot/shared/runtime',
  '@polybot/shared/metrics',
  '@polybot/shared/http',
  '@polybot/shared/testing/*',
  '@polybot/sim-venue/testing/*',
  '@polybot/ingestion/stores',
  '@polybot/ingestion/http',
  '@polybot/risk/breaker',
  '@polybot/execution/venue',
  '@polybot/execution/money',
  '@polybot/execution/paper',
  '@polybot/execution/lease',
  '@polybot/execution/store',
  '@polybot/execution/testing/*',
];

/**
 * Per package: its adapter files (relative to src/, without .ts). Every other non-test file under
 * src/ is core. Adapters, workers, CLIs and test helpers may use infrastructure; cores may not, and
 * may reach an adapter file of their own package for types only (an injected interface).
 */
const ADAPTERS = {
  shared: [
    'queues',
    'redis',
    'redisRateLimit',
    'redisServer',
    'redisPersistence',
    'breaker',
    'status',
    'runtime',
    'metrics',
    'http',
    'logger',
    'config',
    'settings',
    'shutdown',
  ],
  ingestion: ['bookCache', 'oracleStore', 'tradeTape', 'marketSocket', 'rtds', 'http', 'bookClient', 'stores'],
  strategy: [],
  risk: ['breakerControl', 'ledgerStore'],
  execution: [
    'sqliteStore',
    'lease',
    'haltRecord',
    'keys',
    'venue/clobV2',
    'venue/relayer',
    'venue/index',
    'moneyRuntime',
    'paper/clobMarketData',
    'paper/paperVenue',
    'paper/index',
  ],
  backtest: [],
};

const banned = (names) => names.map((name) => ({ group: [name], message: `a pure core imports no ${name}: move this code to an adapter or the worker` }));
const restrict = (...patterns) => ['error', { patterns: patterns.flat() }];

/** The rules that hold everywhere: no worker imports, no deep or cross-package relative imports. */
const EVERYWHERE = [
  {
    group: ['**/worker', '**/worker.js', '@polybot/*/worker'],
    message: 'nothing imports a worker.ts: it is a process entry point (the launcher loads it by name)',
  },
  { group: ['@polybot/*/src/*', '@polybot/*/dist/*'], message: "no deep imports: use the package's exports map (its root or a named subpath)" },
  { group: ['../../*/src/*', '../../../packages/*'], message: 'no relative imports into another package: import it by name' },
];

/** Which other layers a package may not reach at all (core or adapter). */
const LAYERS = {
  'sim-venue': [{ group: ['@polybot/*'], message: 'the sim venue imports nothing of the bot, so a wrong assumption in the bot cannot be mirrored in it' }],
  shared: [{ group: ['@polybot/*', '!@polybot/shared', '!@polybot/shared/*'], message: 'shared depends on no other layer' }],
  strategy: [
    {
      group: [
        '@polybot/risk',
        '@polybot/risk/*',
        '@polybot/execution',
        '@polybot/execution/*',
        '@polybot/backtest',
        '@polybot/backtest/*',
        '@polybot/dashboard',
        '@polybot/dashboard/*',
        '@polybot/cli/*',
      ],
      message: 'strategy imports no risk, execution or later layer',
    },
  ],
};

const PACKAGES = ['shared', 'sim-venue', 'ingestion', 'strategy', 'risk', 'execution', 'dashboard', 'backtest', 'cli', 'bench'];

const adapterFiles = (pkg) => [
  ...(ADAPTERS[pkg] ?? []).map((f) => `packages/${pkg}/src/${f}.ts`),
  `packages/${pkg}/src/**/worker.ts`,
  `packages/${pkg}/src/cli/**`,
  `packages/${pkg}/src/testing/**`,
  `packages/${pkg}/src/**/*.test.ts`,
  `packages/${pkg}/src/bench.ts`,
];

/** One block per package for all its files, then one for its core files (the last block that sets a rule wins). */
const boundaryBlocks = PACKAGES.flatMap((pkg) => {
  const all = { files: [`packages/${pkg}/src/**/*.ts`], rules: { '@typescript-eslint/no-restricted-imports': restrict(EVERYWHERE, LAYERS[pkg] ?? []) } };
  if (!(pkg in ADAPTERS)) return [all];
  const own = ADAPTERS[pkg].map((f) => f.split('/').pop());
  const core = {
    files: [`packages/${pkg}/src/**/*.ts`],
    ignores: adapterFiles(pkg),
    rules: {
      '@typescript-eslint/no-restricted-imports': restrict(
        EVERYWHERE,
        LAYERS[pkg] ?? [],
        banned(INFRA),
        { group: ADAPTER_SUBPATHS, message: 'a pure core imports no adapter subpath: take the dependency as a parameter or move the code to the worker' },
        own.length
          ? [
              {
                regex: `^\\.\\.?/(.*/)?(${own.join('|')})(\\.js)?$`,
                allowTypeImports: true,
                message: 'a core reaches an adapter file of its own package for types only',
              },
            ]
          : [],
      ),
    },
  };
  return [all, core];
});

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/*.d.ts', 'coverage/**', 'data/**', 'fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.ts', '*.js'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': restrict(EVERYWHERE),
    },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  // Tests read recorded venue payloads and poke at JSON answers: `any` is allowed there, never in
  // the code that trades.
  { files: ['**/*.test.ts'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
  ...boundaryBlocks,
  prettier,
);
