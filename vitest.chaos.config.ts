import { defineConfig } from 'vitest/config';

// The chaos suite: the whole stack under faults. Runs alone (it owns its Redis and ports).
export default defineConfig({
  resolve: { conditions: ['@polybot/source'] },
  ssr: { resolve: { conditions: ['@polybot/source'] } },
  test: {
    include: ['packages/*/src/**/*.chaos.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
    sequence: { concurrent: false },
  },
});
