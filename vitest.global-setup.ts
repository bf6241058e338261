import type { TestProject } from 'vitest/node';
import './packages/shared/src/testing/vitest.js';
import { startTestRedis } from './packages/shared/src/testing/redis.js';

/** One real Redis for the whole run; each test file isolates itself with its own queue prefix. */
export default async function setup(project: TestProject) {
  const redis = await startTestRedis();
  process.stderr.write(`[polybot tests] Redis from ${redis.how}: ${redis.url}\n`);
  project.provide('redisUrl', redis.url);
  return async () => redis.stop();
}
