import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Queue } from 'bullmq';
import { createConsumer, Producer, type QueueContext } from './queues.js';
import { createRedis, type Redis } from './redis.js';
import { testPrefix } from './testing/redis.js';
import { testRedisUrl } from './testing/vitest.js';
import type { ExecutionEvent } from './domain/executionEvent.js';

const logger = pino({ level: 'silent' });
let redis: Redis;
let ctx: QueueContext;

beforeAll(() => {
  redis = createRedis(testRedisUrl());
  ctx = { connection: redis, prefix: testPrefix('queues'), logger };
});
afterAll(async () => {
  await redis.quit();
});

const event = (id: string): ExecutionEvent => ({
  id,
  atMs: 1,
  type: 'error',
  source: 'venue',
  message: 'boom',
});

describe('queue factory', () => {
  it('adds a job id once: a re-sent job is a no-op', async () => {
    const p = new Producer('execution-events', ctx);
    await p.add(event('e-1'), 'e-1');
    await p.add(event('e-1'), 'e-1');
    expect(await p.queue.getJobCountByTypes('waiting', 'delayed', 'active')).toBe(1);
    await p.queue.obliterate({ force: true });
    await p.close();
  });

  it('refuses to enqueue data that fails the schema', async () => {
    const p = new Producer('execution-events', ctx);
    await expect(p.add({ ...event('e-2'), type: 'nope' } as never, 'e-2')).rejects.toThrow();
    await p.close();
  });

  it('never hands a handler invalid data, and does not retry it', async () => {
    const prefix = testPrefix('queues-bad');
    const raw = new Queue('execution-events', { connection: redis, prefix });
    const seen: unknown[] = [];
    const worker = createConsumer('execution-events', async (d) => void seen.push(d), { ...ctx, prefix });
    const settled = new Promise<void>((resolve) => {
      let n = 0;
      const done = () => ++n === 2 && resolve();
      worker.on('completed', done);
      worker.on('failed', done);
    });
    await raw.add('event', { junk: true }, { jobId: 'bad', attempts: 3 });
    await raw.add('event', event('good'), { jobId: 'good' });
    await settled;
    const bad = await raw.getJob('bad');
    expect(await bad?.getState()).toBe('failed');
    expect(bad?.attemptsMade).toBe(1);
    expect(seen).toEqual([event('good')]);
    await worker.close();
    await raw.obliterate({ force: true });
    await raw.close();
  });
});
