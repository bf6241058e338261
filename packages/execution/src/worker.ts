/**
 * The execution process (exactly one): holds the lease, recovers from orders.json and the venue,
 * then places orders from the `orders` queue and ships execution events from its outbox.
 */
import path from 'node:path';
import { z } from 'zod';
import { isPolybotError, PolybotError } from '@polybot/shared';
import { ControlMessageSchema, readBreaker } from '@polybot/shared/breaker';
import { configOrExit, parseEnv } from '@polybot/shared/config';
import { metrics } from '@polybot/shared/metrics';
import { createConsumer, Producer } from '@polybot/shared/queues';
import { createRedis } from '@polybot/shared/redis';
import { startWorkerRuntime } from '@polybot/shared/runtime';
import { ExecutionStatusSchema, safeJson, statusStore } from '@polybot/shared/status';
import { ExecutionEngine } from './executionEngine.js';
import { resolveSigningKey } from './keys.js';
import { createLease } from './lease.js';
import { OrderManager } from './orderManager.js';
import { createClobV2Port } from './venue/clobV2.js';

const EnvSchema = z.object({
  EXEC_POLL_MS: z.coerce.number().int().min(200).default(1_000),
  EXEC_HEARTBEAT_MS: z.coerce.number().int().min(1_000).max(9_000).default(5_000),
  EXEC_CANCEL_BEFORE_END_MS: z.coerce.number().int().nonnegative().default(5_000),
  EXEC_SETTLE_AFTER_MS: z.coerce.number().int().nonnegative().default(3_000),
  EXEC_LEASE_TTL_MS: z.coerce.number().int().min(2_000).default(10_000),
  EXEC_LEASE_WAIT_MS: z.coerce.number().int().nonnegative().default(30_000),
  EXEC_CANCEL_ON_SHUTDOWN: z.enum(['true', 'false']).default('true'),
  EXEC_VENUE_TIMEOUT_MS: z.coerce.number().int().min(500).default(10_000),
  POLYBOT_SIGNATURE_TYPE: z.coerce.number().int().min(0).max(3).optional(),
  POLYBOT_FUNDER_ADDRESS: z.string().regex(/^0x[0-9a-fA-F]{40}$/).optional(),
});

function fatal(message: string, code: number): never {
  process.stderr.write(`polybot execution: ${message}\n`);
  process.exit(code);
}

export async function runWorker(): Promise<void> {
  const rt = startWorkerRuntime('execution');
  const env = configOrExit(() => parseEnv(EnvSchema, process.env), 'execution');
  const { config, logger, redis } = rt;
  if (config.venue === 'paper') fatal('the paper venue (simulated fills on real books) is not built yet; use POLYBOT_VENUE=sim', 2);
  let key;
  try {
    key = resolveSigningKey(config.venue, process.env, config.dataDir);
  } catch (err) {
    if (isPolybotError(err)) fatal(err.message, 2);
    throw err;
  }

  // One owner at a time.
  const lease = createLease(redis, `${config.queuePrefix}:execution:lease`, rt.id, env.EXEC_LEASE_TTL_MS);
  const waitUntil = Date.now() + env.EXEC_LEASE_WAIT_MS;
  while (!(await lease.acquire())) {
    if (Date.now() > waitUntil) fatal(`another execution process (${await lease.holder()}) holds the lease; only one may run`, 1);
    logger.warn({ holder: await lease.holder() }, 'waiting for the execution lease');
    await new Promise((r) => setTimeout(r, 1_000));
  }
  const leaseTimer = setInterval(() => {
    void lease.renew().then((ok) => {
      if (!ok) {
        logger.fatal('execution lease lost: stopping before two owners write orders');
        process.exit(1);
      }
    });
  }, Math.floor(env.EXEC_LEASE_TTL_MS / 3));

  const file = path.join(config.dataDir, 'orders.json');
  let manager: OrderManager;
  try {
    manager = new OrderManager(file, logger);
  } catch (err) {
    if (isPolybotError(err, 'PERSISTENCE_CORRUPT')) fatal(err.message, 2);
    throw err;
  }

  const port = await createClobV2Port({
    host: config.clobUrl,
    privateKey: key,
    timeoutMs: env.EXEC_VENUE_TIMEOUT_MS,
    ...(env.POLYBOT_SIGNATURE_TYPE !== undefined ? { signatureType: env.POLYBOT_SIGNATURE_TYPE } : {}),
    ...(env.POLYBOT_FUNDER_ADDRESS ? { funderAddress: env.POLYBOT_FUNDER_ADDRESS } : {}),
  });
  const halted = async () => (await readBreaker(redis, config.queuePrefix, Date.now())).state === 'open';
  const engine = new ExecutionEngine(manager, port, { cancelBeforeEndMs: env.EXEC_CANCEL_BEFORE_END_MS, settleAfterMs: env.EXEC_SETTLE_AFTER_MS }, logger, halted);
  const events = new Producer('execution-events', rt.queues);
  const status = statusStore(redis, config.queuePrefix);

  const flush = async () => {
    const out = [...manager.outbox()];
    const sent: string[] = [];
    for (const e of out) {
      await events.add(e, e.id);
      sent.push(e.id);
      if (e.type === 'order') metrics.orderTransitions.inc({ to: e.state });
      if (e.type === 'fill') metrics.fills.inc({ status: e.status });
      if (e.type === 'fill' && e.status === 'MATCHED') {
        metrics.filledShares.inc(e.size);
        metrics.feesUsd.inc(e.fee);
      }
    }
    manager.ackOutbox(sent, Date.now());
  };
  const publish = async () => {
    const byState: Record<string, number> = {};
    for (const o of manager.all()) byState[o.state] = (byState[o.state] ?? 0) + 1;
    for (const [s, n] of Object.entries(byState)) metrics.ordersByState.set({ state: s }, n);
    await status.put('execution', ExecutionStatusSchema, {
      openOrders: manager.nonTerminal().map((o) => ({
        id: o.request.id,
        conditionId: o.request.conditionId,
        asset: o.request.asset,
        outcome: o.request.outcome,
        side: o.request.side,
        price: o.request.price,
        size: o.request.size,
        filledSize: o.filledSize,
        state: o.state,
      })),
      positions: manager
        .positions()
        .filter((p) => !manager.isSettled(p.conditionId))
        .map((p) => ({ conditionId: p.conditionId, asset: p.asset, outcome: p.outcome, confirmedShares: p.confirmed, pendingShares: p.pending, costUsd: p.costUsd, feesUsd: p.feesUsd, windowEndMs: p.windowEndMs })),
      ordersByState: byState,
      updatedAtMs: Date.now(),
    });
  };

  // Start-up recovery: reconcile everything not final with the venue before taking any job.
  logger.info({ orders: manager.all().length, inFlight: manager.nonTerminal().length, outbox: manager.outbox().length }, 'recovering from orders.json');
  await engine.poll();
  await flush();

  const consumer = createConsumer(
    'orders',
    async (request) => {
      const result = await engine.place(request);
      await flush();
      logger.info({ orderId: request.id, signalId: request.signalId, result }, 'order job done');
      return result;
    },
    rt.queues,
    { concurrency: 1 },
  );

  let polling = false;
  const pollTimer = setInterval(() => {
    if (polling) return;
    polling = true;
    engine
      .poll()
      .then(flush)
      .then(publish)
      .catch((err: unknown) => {
        if (err instanceof PolybotError && err.code === 'PERSISTENCE_FAILED') {
          logger.fatal({ err: err.message }, 'cannot record orders: stopping rather than trading unrecorded');
          process.exit(1);
        }
        logger.warn({ err: (err as Error).message }, 'poll failed');
      })
      .finally(() => (polling = false));
  }, env.EXEC_POLL_MS);
  const hbTimer = setInterval(() => void engine.heartbeat().then(flush).catch(() => undefined), env.EXEC_HEARTBEAT_MS);

  // Halt from the breaker: cancel every open order.
  const sub = createRedis(config.redisUrl, { logger, name: 'polybot-execution-control' });
  await sub.subscribe(`${config.queuePrefix}:control`);
  sub.on('message', (_channel: string, raw: string) => {
    const msg = ControlMessageSchema.safeParse(safeJson(raw));
    if (!msg.success) return logger.warn('control message failed its schema; ignored');
    if (msg.data.type === 'halt') void engine.cancelAll(`halt: ${msg.data.reason}`).then(flush).catch((err: unknown) => logger.error({ err: (err as Error).message }, 'cancel on halt failed'));
  });

  rt.shutdown.add('execution', async () => {
    clearInterval(pollTimer);
    clearInterval(hbTimer);
    await consumer.close();
    if (env.EXEC_CANCEL_ON_SHUTDOWN === 'true' && manager.nonTerminal().length) await engine.cancelAll('shutdown').catch(() => undefined);
    await flush().catch(() => undefined);
    await events.close();
    await sub.quit().catch(() => undefined);
    clearInterval(leaseTimer);
    await lease.release().catch(() => undefined);
  });
  logger.info({ venue: config.venue, clob: config.clobUrl, address: port.address, file }, 'execution running');
}
