/**
 * Bull Board for every queue, the live status page, and halt/resume. Always behind basic auth
 * (Bull Board has none of its own), a Host allowlist, and for every change a same-origin check plus
 * a custom header (guard.ts).
 */
import { timingSafeEqual } from 'node:crypto';
import type { Server } from 'node:http';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { Queue } from 'bullmq';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { RedisClient } from '@polybot/shared/redis';
import type { Logger } from 'pino';
import { z } from 'zod';
import { QUEUE_NAMES } from '@polybot/shared/queues';
import { createBreakerControl } from '@polybot/risk/breaker';
import { hostGuard, mutationGuard } from './guard.js';
import { STATUS_PAGE } from './page.js';
import { readStatus } from './statusData.js';
import { dailyOf, equityOf, toCsv, tradesOf } from './history.js';
import { readTradeHistory } from './historySource.js';

export interface DashboardOptions {
  redis: RedisClient;
  prefix: string;
  logger: Logger;
  /** Always required (the worker generates a password when none is configured). */
  auth: { user: string; password: string };
  /** Host names (without port) the dashboard answers to; anything else is refused (DNS rebinding). */
  allowedHosts: readonly string[];
  readOnly: boolean;
  /** The daily-loss limit a resume is checked against when risk has not published its own. */
  maxDailyLossUsd?: number;
  /** How often the page is pushed a fresh status (ms). */
  pushMs?: number;
  /** Where the order store lives: trade history under /api/trades, /api/daily, /api/equity. */
  dataDir?: string;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function basicAuth(auth: { user: string; password: string }) {
  return (req: Request, res: Response, next: NextFunction) => {
    const header = req.headers.authorization ?? '';
    const [scheme, encoded] = header.split(' ');
    if (scheme === 'Basic' && encoded) {
      const [user, ...rest] = Buffer.from(encoded, 'base64').toString().split(':');
      if (same(user ?? '', auth.user) && same(rest.join(':'), auth.password)) return next();
    }
    res.setHeader('WWW-Authenticate', 'Basic realm="polybot"');
    res.status(401).send('authentication required');
  };
}

export interface DashboardServer {
  app: Express;
  listen(port: number, host: string): Promise<Server>;
  close(): Promise<void>;
}

export function createDashboardServer(opts: DashboardOptions): DashboardServer {
  const app: Express = express();
  app.disable('x-powered-by');
  // Host first (a rebinding page gets nothing, not even the login prompt), then who, then how.
  app.use(hostGuard(opts.allowedHosts));
  app.use(basicAuth(opts.auth));
  app.use(mutationGuard({ requireHeader: (p) => p.startsWith('/api/') }));
  app.use(express.json({ limit: '10kb' }));

  const queues = QUEUE_NAMES.map((name) => new Queue(name, { connection: opts.redis, prefix: opts.prefix }));
  const adapter = new ExpressAdapter();
  adapter.setBasePath('/queues');
  createBullBoard({ queues: queues.map((q) => new BullMQAdapter(q, { readOnlyMode: opts.readOnly })), serverAdapter: adapter });
  app.use('/queues', adapter.getRouter());

  const breaker = createBreakerControl(opts.redis, opts.prefix);
  app.get('/', (_req, res) => void res.type('html').send(STATUS_PAGE));
  app.get('/api/status', (_req, res, next) => {
    readStatus(opts.redis, opts.prefix).then((s) => res.json(s), next);
  });
  // Trade history from the order store: JSON, or CSV with ?format=csv; ?since=ISO&market=id|asset.
  const historyQuery = z.object({
    since: z.string().max(40).optional(),
    market: z.string().max(80).optional(),
    format: z.enum(['json', 'csv']).default('json'),
  });
  const history = (kind: 'trades' | 'daily' | 'equity') => (req: Request, res: Response) => {
    const q = historyQuery.safeParse(req.query);
    const sinceMs = q.success && q.data.since !== undefined ? Date.parse(q.data.since) : undefined;
    if (!q.success || (sinceMs !== undefined && !Number.isFinite(sinceMs)))
      return void res.status(400).json({ error: 'since: an ISO date; market: an id or asset; format: json or csv' });
    if (!opts.dataDir) return void res.status(404).json({ error: 'no order store configured' });
    let data;
    try {
      data = readTradeHistory(opts.dataDir);
    } catch (err) {
      return void res.status(500).json({ error: (err as Error).message });
    }
    const filter = { ...(sinceMs !== undefined ? { sinceMs } : {}), ...(q.data.market ? { market: q.data.market } : {}) };
    const rows =
      kind === 'trades'
        ? tradesOf(data, filter)
        : kind === 'daily'
          ? dailyOf(data, filter)
          : equityOf(data, filter).map(([atMs, pnlUsd]) => ({ atMs, pnlUsd }));
    if (q.data.format === 'csv') return void res.type('text/csv').attachment(`polybot-${kind}.csv`).send(toCsv(rows));
    res.json(rows);
  };
  app.get('/api/trades', history('trades'));
  app.get('/api/daily', history('daily'));
  app.get('/api/equity', history('equity'));
  app.get('/events', (req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const push = () =>
      readStatus(opts.redis, opts.prefix)
        .then((s) => res.write(`data: ${JSON.stringify(s)}\n\n`))
        .catch((err: unknown) => opts.logger.warn({ err: (err as Error).message }, 'status read failed'));
    void push();
    const timer = setInterval(push, opts.pushMs ?? 2_000);
    req.on('close', () => clearInterval(timer));
  });
  // Halting is always allowed (it only stops trading); resuming is a deliberate human act.
  app.post('/api/halt', (req, res, next) => {
    const body = z.object({ reason: z.string().max(200).optional() }).safeParse(req.body ?? {});
    const reason = body.success && body.data.reason ? body.data.reason : 'halted from the dashboard';
    breaker.halt(reason).then(() => {
      opts.logger.warn({ reason }, 'halt requested from the dashboard');
      res.json({ ok: true });
    }, next);
  });
  // Resuming is a deliberate human act: after a daily-loss trip it needs `confirm: true`, and it is
  // refused while today's realised loss is still over the limit.
  app.post('/api/resume', (req, res, next) => {
    const body = z
      .object({ confirm: z.boolean().optional() })
      .strict()
      .safeParse(req.body ?? {});
    if (!body.success) return void res.status(400).json({ ok: false, reason: 'body must be {"confirm": true|false}' });
    breaker.resumeChecked({ confirm: body.data.confirm === true, fallbackMaxDailyLossUsd: opts.maxDailyLossUsd ?? 100 }).then((r) => {
      if (!r.ok) {
        opts.logger.warn({ reason: r.reason }, 'resume from the dashboard refused');
        return void res.status(409).json(r);
      }
      opts.logger.warn('resume requested from the dashboard');
      res.json({ ok: true });
    }, next);
  });

  return {
    app,
    listen(port: number, host: string): Promise<Server> {
      return new Promise((resolve, reject) => {
        const server = app.listen(port, host, (err?: Error) => (err ? reject(err) : resolve(server)));
      });
    },
    async close(): Promise<void> {
      await Promise.all(queues.map((q) => q.close()));
    },
  };
}
