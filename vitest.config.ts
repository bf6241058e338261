import { defineConfig } from 'vitest/config';

// Tests import the packages' TypeScript sources through the `@polybot/source` export condition;
// processes spawned by end-to-end tests run the compiled JavaScript (`pnpm test` builds first).
export default defineConfig({
  resolve: { conditions: ['@polybot/source'] },
  ssr: { resolve: { conditions: ['@polybot/source'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', '**/*.chaos.test.ts', '**/*.soak.test.ts'],
    globalSetup: ['./vitest.global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
