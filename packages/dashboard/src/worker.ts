import type { Server } from 'node:http';
import { z } from 'zod';
import { configOrExit, parseEnv } from '@polybot/shared/config';
import { metrics } from '@polybot/shared/metrics';
import { QUEUE_NAMES } from '@polybot/shared/queues';
import { startWorkerRuntime } from '@polybot/shared/runtime';
import { Queue } from 'bullmq';
import { registerSecret } from '@polybot/shared/logger';
import { SETTINGS } from '@polybot/shared/settings';
import { dailySummaryFrom, startAlerts, type AlertTargets } from './alerts/alerts.js';
import { startTelegramCommands } from './alerts/telegram.js';
import { createBreakerControl } from '@polybot/risk/breaker';
import { dailyOf } from './history.js';
import { readTradeHistory } from './historySource.js';
import { dashboardCredentials } from './credentials.js';
import { createDashboardServer } from './server.js';
import { readStatus } from './statusData.js';

/** A `true`/`false` setting: its schema and default are the config's (`settings.ts`). */
type OnOff = z.ZodType<'true' | 'false'>;

const EnvSchema = z
  .object({
    POLYBOT_DASHBOARD_PORT: z.coerce.number().int().min(1).max(65535).default(3000),
    POLYBOT_DASHBOARD_HOST: z.string().min(1).default('127.0.0.1'),
    POLYBOT_DASHBOARD_USER: z.string().min(1).optional(),
    POLYBOT_DASHBOARD_PASSWORD: z.string().min(8, 'at least 8 characters').optional(),
    POLYBOT_DASHBOARD_READONLY: z.enum(['true', 'false']).default('true'),
    /** Extra host names the dashboard answers to (comma-separated), besides localhost and its listen address. */
    POLYBOT_DASHBOARD_ALLOWED_HOSTS: z.string().default(''),
    /** The daily-loss limit a resume is checked against if risk has not published its own. */
    RISK_MAX_DAILY_LOSS_USD: z.coerce.number().positive().default(100),
    POLYBOT_ALERT_WEBHOOK_URL: z.string().url().optional(),
    POLYBOT_TELEGRAM_BOT_TOKEN: z.string().min(10).optional(),
    POLYBOT_TELEGRAM_CHAT_ID: z.string().min(1).optional(),
    POLYBOT_TELEGRAM_API_URL: z.string().url().optional(),
    POLYBOT_TELEGRAM_COMMANDS: SETTINGS.alerts.telegram.commands.schema as OnOff,
    // One switch per alert type (settings.ts `alerts.*`, their defaults there).
    POLYBOT_ALERT_FILLS: SETTINGS.alerts.fills.schema as OnOff,
    POLYBOT_ALERT_TRIPS: SETTINGS.alerts.trips.schema as OnOff,
    POLYBOT_ALERT_ERRORS: SETTINGS.alerts.errors.schema as OnOff,
    POLYBOT_ALERT_SETTLEMENTS: SETTINGS.alerts.settlements.schema as OnOff,
    POLYBOT_ALERT_DAILY: SETTINGS.alerts.daily.schema as OnOff,
  })
  .refine((e) => (e.POLYBOT_TELEGRAM_BOT_TOKEN === undefined) === (e.POLYBOT_TELEGRAM_CHAT_ID === undefined), {
    message: 'set both POLYBOT_TELEGRAM_BOT_TOKEN and POLYBOT_TELEGRAM_CHAT_ID, or neither',
    path: ['POLYBOT_TELEGRAM_CHAT_ID'],
  })
  .refine((e) => (e.POLYBOT_DASHBOARD_USER === undefined) === (e.POLYBOT_DASHBOARD_PASSWORD === undefined), {
    message: 'set both POLYBOT_DASHBOARD_USER and POLYBOT_DASHBOARD_PASSWORD, or neither',
    path: ['POLYBOT_DASHBOARD_PASSWORD'],
  });

export async function runWorker(): Promise<void> {
  const rt = startWorkerRuntime('dashboard');
  const env = configOrExit(() => parseEnv(EnvSchema, process.env), 'dashboard');
  const { logger, redis, config } = rt;
  const configured =
    env.POLYBOT_DASHBOARD_USER && env.POLYBOT_DASHBOARD_PASSWORD ? { user: env.POLYBOT_DASHBOARD_USER, password: env.POLYBOT_DASHBOARD_PASSWORD } : null;
  // Never open: without configured credentials, a generated password (printed once, kept 0600).
  let creds: ReturnType<typeof dashboardCredentials>;
  try {
    creds = dashboardCredentials(config.dataDir, configured);
  } catch (err) {
    process.stderr.write(`polybot dashboard: ${(err as Error).message}\n`);
    process.exit(2);
  }
  registerSecret(creds.credentials.password);
  if (creds.generated) {
    // Straight to the terminal, once; never through the logger (the password is also redacted there).
    process.stderr.write(
      `\npolybot dashboard: no POLYBOT_DASHBOARD_USER/POLYBOT_DASHBOARD_PASSWORD set, so a login was generated (shown only this once):\n  user ${creds.credentials.user}\n  password ${creds.credentials.password}\n  kept in ${creds.file} (mode 0600)\n\n`,
    );
  }
  if (creds.file) logger.info({ file: creds.file, user: creds.credentials.user }, 'dashboard login from the generated credentials file');
  const listen = env.POLYBOT_DASHBOARD_HOST.toLowerCase();
  const allowedHosts = [
    'localhost',
    '127.0.0.1',
    '[::1]',
    ...(['0.0.0.0', '::'].includes(listen) ? [] : [listen.includes(':') && !listen.startsWith('[') ? `[${listen}]` : listen]),
    ...env.POLYBOT_DASHBOARD_ALLOWED_HOSTS.split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
  ];
  const dash = createDashboardServer({
    redis,
    prefix: config.queuePrefix,
    logger,
    auth: creds.credentials,
    allowedHosts,
    readOnly: env.POLYBOT_DASHBOARD_READONLY === 'true',
    maxDailyLossUsd: env.RISK_MAX_DAILY_LOSS_USD,
    dataDir: config.dataDir,
  });
  const server: Server = await dash.listen(env.POLYBOT_DASHBOARD_PORT, env.POLYBOT_DASHBOARD_HOST);
  // Queue depth for Prometheus, from the one process that watches every queue.
  const queues = QUEUE_NAMES.map((n) => new Queue(n, { connection: redis, prefix: config.queuePrefix }));
  const depth = setInterval(() => {
    for (const q of queues)
      void q.getJobCountByTypes('waiting', 'delayed').then(
        (n) => metrics.queueDepth.set({ queue: q.name }, n),
        () => undefined,
      );
  }, 5_000);
  registerSecret(env.POLYBOT_TELEGRAM_BOT_TOKEN);
  const targets: AlertTargets = {
    ...(env.POLYBOT_ALERT_WEBHOOK_URL ? { webhookUrl: env.POLYBOT_ALERT_WEBHOOK_URL } : {}),
    ...(env.POLYBOT_TELEGRAM_BOT_TOKEN && env.POLYBOT_TELEGRAM_CHAT_ID
      ? {
          telegram: {
            token: env.POLYBOT_TELEGRAM_BOT_TOKEN,
            chatId: env.POLYBOT_TELEGRAM_CHAT_ID,
            ...(env.POLYBOT_TELEGRAM_API_URL ? { baseUrl: env.POLYBOT_TELEGRAM_API_URL } : {}),
          },
        }
      : {}),
  };
  const stopAlerts =
    targets.webhookUrl || targets.telegram
      ? await startAlerts({
          redisUrl: config.redisUrl,
          redis,
          prefix: config.queuePrefix,
          logger,
          targets,
          switches: {
            fills: env.POLYBOT_ALERT_FILLS === 'true',
            trips: env.POLYBOT_ALERT_TRIPS === 'true',
            errors: env.POLYBOT_ALERT_ERRORS === 'true',
            settlements: env.POLYBOT_ALERT_SETTLEMENTS === 'true',
            daily: env.POLYBOT_ALERT_DAILY === 'true',
          },
          // That UTC day's realised PnL from the order store, not the running total.
          dailySummary: dailySummaryFrom(config.dataDir),
        })
      : null;
  if (!stopAlerts) logger.info('no alert target configured (POLYBOT_ALERT_WEBHOOK_URL, POLYBOT_TELEGRAM_BOT_TOKEN)');
  rt.shutdown.add('alerts', async () => stopAlerts?.());
  // Telegram commands (/status, /daily, /halt, /resume), obeyed only from the configured chat id.
  const tg = targets.telegram;
  const stopCommands =
    tg && env.POLYBOT_TELEGRAM_COMMANDS === 'true'
      ? startTelegramCommands({
          token: tg.token,
          chatId: tg.chatId,
          ...(tg.baseUrl ? { baseUrl: tg.baseUrl } : {}),
          logger,
          handlers: {
            status: async () => {
              const s = await readStatus(redis, config.queuePrefix);
              const b = s.breaker.state;
              return [
                b.state === 'open' ? `breaker OPEN (${b.kind}): ${b.reason}` : 'breaker closed (trading)',
                s.risk
                  ? `bankroll $${s.risk.bankrollUsd.toFixed(2)}, realised PnL $${s.risk.realisedPnlUsd.toFixed(2)}, open exposure $${s.risk.openExposureUsd.toFixed(2)}`
                  : 'risk: no status yet',
                `workers: ${s.workers.map((w) => w.kind).join(', ') || 'none'}; live windows: ${s.markets.length}`,
              ].join('\n');
            },
            daily: async () => {
              const rows = dailyOf(readTradeHistory(config.dataDir)).slice(-3);
              return rows.length
                ? rows
                    .map(
                      (d) =>
                        `${d.day}: PnL $${d.pnlUsd.toFixed(2)}, fees $${d.feesUsd.toFixed(2)}, ${d.trades} trades, hit rate ${d.hitRate === null ? '–' : `${(d.hitRate * 100).toFixed(1)} %`}`,
                    )
                    .join('\n')
                : 'no trade yet';
            },
            halt: async (reason) =>
              (await createBreakerControl(redis, config.queuePrefix).halt(reason)) ? 'halted: execution cancels open orders' : 'already halted',
            resume: async () => {
              const r = await createBreakerControl(redis, config.queuePrefix).resumeChecked({
                confirm: false,
                fallbackMaxDailyLossUsd: env.RISK_MAX_DAILY_LOSS_USD,
              });
              return r.ok ? 'resumed' : `resume refused: ${r.reason}`;
            },
          },
        })
      : null;
  rt.shutdown.add('telegram commands', async () => stopCommands?.());
  rt.shutdown.add('dashboard', async () => {
    clearInterval(depth);
    await new Promise<void>((r) => server.close(() => r()));
    await dash.close();
    await Promise.all(queues.map((q) => q.close()));
  });
  logger.info(
    { url: `http://${env.POLYBOT_DASHBOARD_HOST}:${env.POLYBOT_DASHBOARD_PORT}/`, user: creds.credentials.user, allowedHosts },
    'dashboard listening',
  );
}
