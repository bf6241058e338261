import { Queue, UnrecoverableError, Worker, type Job, type JobsOptions, type WorkerOptions } from 'bullmq';
import type { Logger } from 'pino';
import { z } from 'zod';
import { MarketSchema } from './domain/market.js';
import { TradeSignalSchema } from './domain/signal.js';
import { OrderRequestSchema } from './domain/order.js';
import { ExecutionEventSchema } from './domain/executionEvent.js';
import { PairOrderRequestSchema, TradePairSchema } from './domain/pair.js';
import { EpochMsSchema } from './domain/primitives.js';
import { metrics } from './metrics.js';
import type { RedisClient } from './redis.js';

export const MarketJobSchema = z
  .object({
    market: MarketSchema,
    refreshedAtMs: EpochMsSchema,
    /** What triggered the refresh: the periodic discovery, or a book/price change seen by ingestion. */
    trigger: z.enum(['refresh', 'book', 'price']),
  })
  .strict();
export type MarketJob = z.infer<typeof MarketJobSchema>;

/** A scheduled task (BullMQ job scheduler): discovery refreshes, sweeps, calibration. */
export const TickJobSchema = z.object({ task: z.string().min(1) }).strict();
export type TickJob = z.infer<typeof TickJobSchema>;

/** A signal job: one value signal, or both legs of an arbitrage in one message (decided as a unit). */
export const SignalJobSchema = z.union([TradeSignalSchema, TradePairSchema]);
export type SignalJob = z.infer<typeof SignalJobSchema>;
/** An order job: one sized order, or both legs of a pair (placed as a unit, lone leg unwound). */
export const OrderJobSchema = z.union([OrderRequestSchema, PairOrderRequestSchema]);
export type OrderJob = z.infer<typeof OrderJobSchema>;

/** Every queue, its one job name and its payload schema. Jobs carry small normalised objects, never raw payloads. */
export const QUEUES = {
  ticks: { jobName: 'tick', schema: TickJobSchema },
  markets: { jobName: 'market', schema: MarketJobSchema },
  signals: { jobName: 'signal', schema: SignalJobSchema },
  orders: { jobName: 'order', schema: OrderJobSchema },
  'execution-events': { jobName: 'event', schema: ExecutionEventSchema },
} as const;
export type QueueName = keyof typeof QUEUES;
export type JobData<Q extends QueueName> = z.infer<(typeof QUEUES)[Q]['schema']>;
export const QUEUE_NAMES = Object.keys(QUEUES) as QueueName[];

const keepBounded = {
  removeOnComplete: { age: 3_600, count: 1_000 },
  removeOnFail: { age: 24 * 3_600, count: 5_000 },
} satisfies JobsOptions;

/**
 * Job defaults, set once. A market job is superseded by the next refresh, so it is not retried;
 * orders may be retried because execution is idempotent per signal id.
 */
export const JOB_DEFAULTS: Record<QueueName, JobsOptions> = {
  ticks: { removeOnComplete: { age: 300, count: 100 }, removeOnFail: { age: 3_600, count: 500 }, attempts: 1 },
  markets: { ...keepBounded, removeOnComplete: { age: 600, count: 500 }, attempts: 1 },
  signals: { ...keepBounded, attempts: 3, backoff: { type: 'exponential', delay: 250 } },
  orders: { ...keepBounded, attempts: 3, backoff: { type: 'exponential', delay: 500 } },
  'execution-events': { ...keepBounded, attempts: 5, backoff: { type: 'exponential', delay: 500 } },
};

/** Worker options forced per queue: an order job that stalled is never re-run blindly (execution reconciles it). */
export const WORKER_FORCED: Record<QueueName, Partial<WorkerOptions>> = {
  ticks: {},
  markets: {},
  signals: {},
  orders: { maxStalledCount: 0 },
  'execution-events': {},
};

/** Deterministic job ids (BullMQ forbids ':' in custom ids). */
export const jobIds = {
  market: (conditionId: string, slot: string | number) => `mkt-${conditionId}-${slot}`,
  signal: (signalId: string) => signalId,
  order: (signalId: string) => signalId,
  event: (eventId: string) => eventId,
};

export interface QueueContext {
  connection: RedisClient;
  prefix: string;
  logger: Logger;
}

export class Producer<Q extends QueueName> {
  readonly queue: Queue;
  constructor(
    readonly name: Q,
    private readonly ctx: QueueContext,
  ) {
    this.queue = new Queue(name, {
      connection: ctx.connection,
      prefix: ctx.prefix,
      defaultJobOptions: JOB_DEFAULTS[name],
    });
  }

  /** Validates, then enqueues under a deterministic id: adding the same id twice is a no-op. */
  async add(data: JobData<Q>, jobId: string, opts: Omit<JobsOptions, 'jobId'> = {}): Promise<void> {
    const parsed = QUEUES[this.name].schema.parse(data);
    await this.queue.add(QUEUES[this.name].jobName, parsed, { ...JOB_DEFAULTS[this.name], ...opts, jobId });
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

export interface ConsumerOptions {
  concurrency?: number;
  autorun?: boolean;
  extra?: Partial<WorkerOptions>;
}

/**
 * A worker whose handler only ever sees schema-valid data. Invalid data is logged and failed
 * without retry: it can never become a trade.
 */
export function createConsumer<Q extends QueueName>(
  name: Q,
  handler: (data: JobData<Q>, job: Job) => Promise<unknown>,
  ctx: QueueContext,
  opts: ConsumerOptions = {},
): Worker {
  const worker = new Worker(
    name,
    async (job: Job) => {
      const parsed = QUEUES[name].schema.safeParse(job.data);
      if (!parsed.success) {
        ctx.logger.error({ queue: name, jobId: job.id, issues: parsed.error.issues.slice(0, 5) }, 'job data failed its schema; dropped');
        throw new UnrecoverableError(`invalid ${name} job data`);
      }
      const result = await handler(parsed.data as JobData<Q>, job);
      metrics.stageLatency.observe({ stage: name }, Math.max(0, Date.now() - job.timestamp) / 1000);
      return result;
    },
    {
      connection: ctx.connection,
      prefix: ctx.prefix,
      concurrency: opts.concurrency ?? 1,
      autorun: opts.autorun ?? true,
      ...opts.extra,
      ...WORKER_FORCED[name],
    },
  );
  worker.on('completed', () => metrics.jobsProcessed.inc({ queue: name }));
  worker.on('failed', (job, err) => {
    metrics.jobsFailed.inc({ queue: name });
    ctx.logger.warn({ queue: name, jobId: job?.id, attempts: job?.attemptsMade, err: err.message }, 'job failed');
  });
  worker.on('error', (err) => ctx.logger.error({ queue: name, err: err.message }, 'worker error'));
  return worker;
}
