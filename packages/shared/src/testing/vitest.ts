import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

/** The Redis URL started by the global setup (see vitest.global-setup.ts). */
export function testRedisUrl(): string {
  const url = inject('redisUrl');
  if (!url) throw new Error('no test Redis: run tests through the root vitest config (pnpm test)');
  return url;
}
