/**
 * The floor: the same number of BullMQ hops as the pipeline (markets → signals → orders), with
 * workers that do nothing, at a steady rate; and the raw Redis round trip.
 */
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { percentiles, sleep, type Percentiles } from './stats.js';

export async function redisRtt(url: string, n = 2_000): Promise<Percentiles> {
  const r = new Redis(url);
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await r.ping();
    xs.push(performance.now() - t);
  }
  await r.quit();
  return percentiles(xs);
}

export async function bullmqFloor(url: string, prefix: string, ratePerSec: number, n: number, hops = 3): Promise<Percentiles> {
  const conns: Redis[] = [];
  const conn = () => {
    const c = new Redis(url, { maxRetriesPerRequest: null });
    conns.push(c);
    return c;
  };
  const opts = { removeOnComplete: true, removeOnFail: true };
  const queues = Array.from({ length: hops }, (_, i) => new Queue(`floor-${i}`, { connection: conn(), prefix }));
  const lat: number[] = [];
  const workers = queues.map(
    (q, i) =>
      new Worker(
        q.name,
        async (job) => {
          const next = queues[i + 1];
          if (next) await next.add('hop', job.data, opts);
          else lat.push(Date.now() - (job.data as { t0: number }).t0);
        },
        { connection: conn(), prefix, concurrency: 8 },
      ),
  );
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  const start = Date.now();
  for (let i = 0; i < n; i++) {
    const due = start + (i * 1000) / ratePerSec;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    await queues[0]!.add('hop', { t0: Date.now() }, opts);
  }
  const deadline = Date.now() + 30_000;
  while (lat.length < n && Date.now() < deadline) await sleep(50);
  await Promise.all(workers.map((w) => w.close()));
  await Promise.all(queues.map((q) => q.obliterate({ force: true }).then(() => q.close())));
  await Promise.all(conns.map((c) => c.quit().catch(() => undefined)));
  return percentiles(lat);
}
