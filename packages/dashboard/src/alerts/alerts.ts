/**
 * Alerts to a webhook (Slack- and Discord-compatible JSON) and to Telegram's bot API: breaker
 * trips, venue rejections, lost heartbeats, settlements and a daily summary. They listen without
 * ever taking a job from a queue (QueueEvents and the control channel), so risk sees every event.
 */
import { QueueEvents, Queue } from 'bullmq';
import type { RedisClient } from '@polybot/shared/redis';
import type { Logger } from 'pino';
import { ExecutionEventSchema, type ExecutionEvent } from '@polybot/shared';
import { ControlMessageSchema, type ControlMessage } from '@polybot/shared/breaker';
import { createRedisClient } from '@polybot/shared/redis';
import { safeJson } from '@polybot/shared/status';

export interface AlertTargets {
  webhookUrl?: string;
  telegram?: { token: string; chatId: string; baseUrl?: string };
}

/** The alert text for an execution event, or null when it is not worth waking anyone. */
export function alertForEvent(e: ExecutionEvent): string | null {
  switch (e.type) {
    case 'order':
      return e.state === 'rejected' ? `⚠️ order ${e.orderId} (${e.asset}) rejected by the venue: ${e.reason ?? 'no reason given'}` : null;
    case 'error':
      if (e.id.startsWith('err-money-')) return `🚨 money stuck at the venue: ${e.message}`;
      if (e.source === 'heartbeat') return `🚨 venue heartbeat lost: the venue may have cancelled every order (${e.message})`;
      if (e.source === 'limit') return `🛑 execution refused an order at its hard limits (never signed): ${e.message}`;
      if (e.source === 'outbox') return `⚠️ execution set aside an event that failed its schema: ${e.message}`;
      return null;
    case 'redemption':
      return `💰 ${e.asset} redeemed ${e.shares} winning shares for $${e.amountUsd.toFixed(2)} (relayer transaction ${e.transactionId})`;
    case 'merge':
      return `🔁 ${e.asset} merged ${e.shares} Up+Down pairs into $${e.amountUsd.toFixed(2)}, PnL $${(e.amountUsd - e.costUsd - e.feesUsd).toFixed(2)} (relayer transaction ${e.transactionId})`;
    case 'settlement':
      return `${e.realisedPnlUsd >= 0 ? '✅' : '🔻'} ${e.asset} window settled ${e.winner}: payout $${e.payoutUsd.toFixed(2)}, fees $${e.feesUsd.toFixed(2)}, PnL $${e.realisedPnlUsd.toFixed(2)}`;
    case 'fill':
      return null;
  }
}

export function alertForControl(m: ControlMessage): string {
  return m.type === 'halt' ? `🛑 trading halted (${m.kind}): ${m.reason}` : '▶️ trading resumed';
}

export function createNotifier(targets: AlertTargets, logger: Logger) {
  return async function send(text: string): Promise<void> {
    const posts: Array<Promise<unknown>> = [];
    if (targets.webhookUrl) {
      posts.push(
        fetch(targets.webhookUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ text, content: text }),
          signal: AbortSignal.timeout(5_000),
        }),
      );
    }
    if (targets.telegram) {
      const base = targets.telegram.baseUrl ?? 'https://api.telegram.org';
      posts.push(
        fetch(`${base}/bot${targets.telegram.token}/sendMessage`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ chat_id: targets.telegram.chatId, text }),
          signal: AbortSignal.timeout(5_000),
        }),
      );
    }
    const results = await Promise.allSettled(posts);
    for (const r of results) {
      // Never log the Telegram URL: it carries the bot token.
      if (r.status === 'rejected')
        logger.warn({ err: String((r.reason as Error)?.message ?? r.reason).replace(/bot[^/]+\//, 'bot[redacted]/') }, 'alert delivery failed');
      else if (r.value instanceof Response && !r.value.ok) logger.warn({ status: r.value.status }, 'alert target refused the alert');
    }
  };
}

/** Starts listening; returns a closer. */
export async function startAlerts(opts: {
  redisUrl: string;
  redis: RedisClient;
  prefix: string;
  logger: Logger;
  targets: AlertTargets;
  dailySummary?: () => Promise<string>;
}) {
  const send = createNotifier(opts.targets, opts.logger);
  const events = new QueueEvents('execution-events', { connection: createRedisClient(opts.redisUrl, { logger: opts.logger }), prefix: opts.prefix });
  const queue = new Queue('execution-events', { connection: opts.redis, prefix: opts.prefix });
  events.on('completed', ({ jobId }) => {
    void queue.getJob(jobId).then((job) => {
      const parsed = ExecutionEventSchema.safeParse(job?.data);
      const text = parsed.success ? alertForEvent(parsed.data) : null;
      if (text) void send(text);
    });
  });
  const sub = createRedisClient(opts.redisUrl, { logger: opts.logger });
  await sub.subscribe(`${opts.prefix}:control`);
  sub.on('message', (_c: string, raw: string) => {
    const m = ControlMessageSchema.safeParse(safeJson(raw));
    if (m.success) void send(alertForControl(m.data));
  });
  let lastDay = new Date().toISOString().slice(0, 10);
  const daily = setInterval(() => {
    const day = new Date().toISOString().slice(0, 10);
    if (day !== lastDay && opts.dailySummary) {
      lastDay = day;
      void opts.dailySummary().then(send);
    }
  }, 60_000);
  await events.waitUntilReady();
  return async () => {
    clearInterval(daily);
    await events.close();
    await queue.close();
    await sub.quit().catch(() => undefined);
  };
}
