/**
 * Alerts to a webhook (Slack- and Discord-compatible JSON) and to Telegram's bot API, by event
 * type, each with its own switch (`alerts.*` in the config): fills, breaker trips and resumes,
 * errors (venue rejections, lost heartbeats, hard-limit refusals, trades failed on chain, money
 * stuck, events set aside), settlements (and redemptions and merges), and a summary of each UTC day
 * with that day's PnL. They listen without ever taking a job from a queue (QueueEvents and the
 * control channel), so risk sees every event.
 */
import { QueueEvents, Queue } from 'bullmq';
import type { RedisClient } from '@polybot/shared/redis';
import type { Logger } from 'pino';
import { ExecutionEventSchema, redisKeys, type ExecutionEvent } from '@polybot/shared';
import { z } from 'zod';
import { ControlMessageSchema, type ControlMessage } from '@polybot/shared/breaker';
import { createRedisClient } from '@polybot/shared/redis';
import { safeJson } from '@polybot/shared/status';
import { dailyOf, type HistoryData } from '../history.js';
import { readTradeHistory } from '../historySource.js';

/** The event types an operator can switch on or off, one config field each (`alerts.<kind>`). */
export const ALERT_KINDS = ['fills', 'trips', 'errors', 'settlements', 'daily'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];
export type AlertSwitches = Record<AlertKind, boolean>;
/** The config's defaults (`packages/shared/src/settings.ts`, `alerts.*`). */
export const DEFAULT_ALERT_SWITCHES: AlertSwitches = { fills: false, trips: true, errors: true, settlements: true, daily: true };

export interface Alert {
  kind: AlertKind;
  text: string;
}

export interface AlertTargets {
  webhookUrl?: string;
  telegram?: { token: string; chatId: string; baseUrl?: string };
}

/**
 * The alert for an execution event and its type, or null when it is not worth waking anyone. A
 * fill alerts on each of its status changes that stands (MATCHED, MINED, CONFIRMED): `startAlerts`
 * sends the first one per trade only. A trade FAILED on chain (its fill undone) is an error.
 */
export function alertForEvent(e: ExecutionEvent): Alert | null {
  const error = (text: string): Alert => ({ kind: 'errors', text });
  switch (e.type) {
    case 'order':
      return e.state === 'rejected' ? error(`⚠️ order ${e.orderId} (${e.asset}) rejected by the venue: ${e.reason ?? 'no reason given'}`) : null;
    case 'error':
      if (e.id.startsWith('err-money-')) return error(`🚨 money stuck at the venue: ${e.message}`);
      if (e.source === 'heartbeat') return error(`🚨 venue heartbeat lost: the venue may have cancelled every order (${e.message})`);
      if (e.source === 'limit') return error(`🛑 execution refused an order at its hard limits (never signed): ${e.message}`);
      if (e.source === 'outbox') return error(`⚠️ execution set aside an event that failed its schema: ${e.message}`);
      return null;
    case 'redemption':
      return {
        kind: 'settlements',
        text: `💰 ${e.asset} redeemed ${e.shares} winning shares for $${e.amountUsd.toFixed(2)} (relayer transaction ${e.transactionId})`,
      };
    case 'merge':
      return {
        kind: 'settlements',
        text: `🔁 ${e.asset} merged ${e.shares} Up+Down pairs into $${e.amountUsd.toFixed(2)}, PnL $${(e.amountUsd - e.costUsd - e.feesUsd).toFixed(2)} (relayer transaction ${e.transactionId})`,
      };
    case 'settlement':
      return {
        kind: 'settlements',
        text: `${e.realisedPnlUsd >= 0 ? '✅' : '🔻'} ${e.asset} window settled ${e.winner}: payout $${e.payoutUsd.toFixed(2)}, fees $${e.feesUsd.toFixed(2)}, PnL $${e.realisedPnlUsd.toFixed(2)}`,
      };
    case 'fill': {
      const what = `${e.size} ${e.outcome} @ $${e.price.toFixed(2)}`;
      if (e.status === 'FAILED') return error(`⚠️ ${e.asset} trade ${e.tradeId} of order ${e.orderId} FAILED on chain: its fill of ${what} was undone`);
      if (e.status === 'RETRYING') return null; // it becomes MINED or FAILED
      return {
        kind: 'fills',
        text: `🟢 ${e.asset} ${e.side === 'SELL' ? 'sold' : 'bought'} ${what}, fee $${e.fee.toFixed(4)} (order ${e.orderId}, trade ${e.tradeId}, ${e.status})`,
      };
    }
  }
}

export function alertForControl(m: ControlMessage): Alert {
  return { kind: 'trips', text: m.type === 'halt' ? `🛑 trading halted (${m.kind}): ${m.reason}` : '▶️ trading resumed' };
}

const usd = (v: number) => `$${v.toFixed(2)}`;

/**
 * The summary of one UTC day (`YYYY-MM-DD`): the PnL realised that day (markets settled that day,
 * after fees), not the running total, which is named as such after it.
 */
export function summaryForDay(h: HistoryData, day: string): string {
  const rows = dailyOf(h);
  const row = rows.find((r) => r.day === day);
  const before = rows.filter((r) => r.day <= day).at(-1);
  const total = `running total ${usd(before?.cumulativePnlUsd ?? 0)}`;
  if (!row) return `📊 ${day} (UTC): PnL $0.00, no trade and nothing settled; ${total}`;
  const hit = row.hitRate === null ? '' : ` (hit rate ${(row.hitRate * 100).toFixed(1)} %)`;
  return `📊 ${day} (UTC): PnL ${usd(row.pnlUsd)}, fees ${usd(row.feesUsd)}, ${row.trades} trade${row.trades === 1 ? '' : 's'}, ${row.settled} settled${hit}; ${total}`;
}

/** The daily summary from the order store in `dataDir` (what the dashboard worker sends). */
export const dailySummaryFrom =
  (dataDir: string) =>
  async (day: string): Promise<string> =>
    summaryForDay(readTradeHistory(dataDir), day);

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

/** Trades already alerted (a fill's later statuses are not news), bounded. */
const SEEN_TRADES_MAX = 10_000;

/** Starts listening; returns a closer. An event type switched off sends nothing. */
export async function startAlerts(opts: {
  redisUrl: string;
  redis: RedisClient;
  prefix: string;
  logger: Logger;
  targets: AlertTargets;
  /** Which event types alert (default: the config's defaults). */
  switches?: AlertSwitches;
  /** The summary of a UTC day (`YYYY-MM-DD`) that has just ended. */
  dailySummary?: (day: string) => Promise<string>;
  /** The clock the day boundary is read from, and how often (tests move it). */
  now?: () => number;
  dailyCheckMs?: number;
}) {
  const switches = opts.switches ?? DEFAULT_ALERT_SWITCHES;
  const now = opts.now ?? Date.now;
  const notify = createNotifier(opts.targets, opts.logger);
  const send = (a: Alert | null) => {
    if (a && switches[a.kind]) void notify(a.text);
  };
  const seenTrades = new Set<string>();
  const events = new QueueEvents('execution-events', { connection: createRedisClient(opts.redisUrl, { logger: opts.logger }), prefix: opts.prefix });
  const queue = new Queue('execution-events', { connection: opts.redis, prefix: opts.prefix });
  events.on('completed', ({ jobId }) => {
    void queue.getJob(jobId).then(
      (job) => {
        const parsed = ExecutionEventSchema.safeParse(job?.data);
        if (!parsed.success) return;
        const e = parsed.data;
        const alert = alertForEvent(e);
        if (e.type === 'fill' && alert?.kind === 'fills') {
          const key = `${e.orderId}/${e.tradeId}`;
          if (seenTrades.has(key)) return;
          seenTrades.add(key);
          if (seenTrades.size > SEEN_TRADES_MAX) seenTrades.delete(seenTrades.values().next().value!);
        }
        send(alert);
      },
      (err: unknown) => opts.logger.warn({ err: (err as Error).message, jobId }, 'alert: execution event unreadable'),
    );
  });
  const sub = createRedisClient(opts.redisUrl, { logger: opts.logger });
  await sub.subscribe(`${opts.prefix}:control`);
  sub.on('message', (_c: string, raw: string) => {
    const m = ControlMessageSchema.safeParse(safeJson(raw));
    if (m.success) send(alertForControl(m.data));
  });
  const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  // The last day summed up is kept in Redis, so a day that ended while the dashboard was down is
  // still summed up when it starts (the latest such day; older ones are in `polybot daily`).
  const summaryKey = redisKeys(opts.prefix).alertsDailySummaryDay;
  const summarise = (ended: string) => {
    if (!switches.daily || !opts.dailySummary) return;
    opts.dailySummary(ended).then(
      (text) => {
        send({ kind: 'daily', text });
        void opts.redis.set(summaryKey, ended).catch((err: unknown) => opts.logger.warn({ err: (err as Error).message }, 'daily summary day not saved'));
      },
      (err: unknown) => {
        opts.logger.warn({ err: (err as Error).message, day: ended }, 'daily summary failed');
        send({ kind: 'errors', text: `⚠️ the daily summary of ${ended} could not be made: ${(err as Error).message}` });
      },
    );
  };
  let lastDay = dayOf(now());
  const yesterday = dayOf(Date.parse(`${lastDay}T00:00:00Z`) - 86_400_000);
  const saved = z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .safeParse(await opts.redis.get(summaryKey).catch(() => null));
  if (saved.success && saved.data < yesterday) summarise(yesterday);
  const daily = setInterval(() => {
    const day = dayOf(now());
    if (day === lastDay) return;
    const ended = lastDay;
    lastDay = day;
    summarise(ended);
  }, opts.dailyCheckMs ?? 60_000);
  await events.waitUntilReady();
  return async () => {
    clearInterval(daily);
    await events.close();
    await queue.close();
    await sub.quit().catch(() => undefined);
  };
}
