/**
 * `pnpm bot <status|orders|positions|halt|resume|trace ID> [--json] [--reason ...]`: steer the
 * running stack through Redis, and follow one order or signal through every process's log.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { configOrExit, loadBaseConfig } from '@polybot/shared/config';
import { createRedisClient, redactRedisUrl } from '@polybot/shared/redis';
import { createBreakerControl } from '@polybot/risk/breaker';
import { openOrderHistory } from '@polybot/execution/store';
import { readStatus, type StatusData } from '../statusData.js';
import { approveCommand } from './approve.js';

const USAGE = 'usage: pnpm bot <status|orders|positions|halt|resume|approve|trace ID> [--json] [--reason TEXT] [--confirm]';

function table(rows: Array<Record<string, unknown>>): string {
  if (rows.length === 0) return '(none)';
  const cols = Object.keys(rows[0]!);
  const cell = (v: unknown) => (typeof v === 'number' ? String(Number(v.toFixed(6))) : String(v ?? ''));
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(width[i]!)).join('  ');
  return [line(cols), line(width.map((w) => '-'.repeat(w))), ...rows.map((r) => line(cols.map((c) => cell(r[c]))))].join('\n');
}

/** Every JSON log line that mentions the id, in time order, with the process it came from. */
export function traceLines(logDir: string, id: string): Array<{ proc: string; time: string; msg: string; line: Record<string, unknown> }> {
  if (!existsSync(logDir)) return [];
  const out: Array<{ proc: string; time: string; msg: string; line: Record<string, unknown> }> = [];
  for (const f of readdirSync(logDir).filter((n) => n.endsWith('.log'))) {
    for (const raw of readFileSync(path.join(logDir, f), 'utf8').split('\n')) {
      if (!raw.includes(id)) continue;
      try {
        const line = JSON.parse(raw) as Record<string, unknown>;
        out.push({ proc: String(line.proc ?? f.replace(/\.log$/, '')), time: String(line.time ?? ''), msg: String(line.msg ?? ''), line });
      } catch {
        /* not a JSON line */
      }
    }
  }
  return out.sort((a, b) => a.time.localeCompare(b.time));
}

export async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false }, reason: { type: 'string' }, confirm: { type: 'boolean', default: false } },
  });
  const [cmd, arg] = positionals;
  const config = configOrExit(() => loadBaseConfig(), 'bot');
  const print = (human: string, data: unknown) => process.stdout.write(`${values.json ? JSON.stringify(data) : human}\n`);
  if (cmd === 'trace') {
    if (!arg) return (process.stderr.write(`${USAGE}\n`), 2);
    const lines = traceLines(path.join(config.dataDir, 'logs'), arg);
    const file = path.join(config.dataDir, 'orders.db');
    let order: { history: unknown[] } | undefined;
    if (existsSync(file)) {
      const h = openOrderHistory(file);
      try {
        order = h.order(arg);
      } finally {
        h.close();
      }
    }
    print(
      [
        table(lines.map((l) => ({ time: l.time, process: l.proc, event: l.msg }))),
        order ? `\norder history:\n${table(order.history as Array<Record<string, unknown>>)}` : '',
      ].join(''),
      { lines: lines.map((l) => l.line), history: order?.history ?? null },
    );
    return lines.length || order ? 0 : 1;
  }
  if (cmd === 'approve') return approveCommand(config, print);
  if (!['status', 'orders', 'positions', 'halt', 'resume'].includes(cmd ?? '')) return (process.stderr.write(`${USAGE}\n`), 2);
  const redis = createRedisClient(config.redisUrl, { extra: { maxRetriesPerRequest: 1, retryStrategy: () => null } });
  try {
    const breaker = createBreakerControl(redis, config.queuePrefix);
    if (cmd === 'halt') {
      const tripped = await breaker.halt(values.reason ?? 'manual halt from the CLI');
      print(tripped ? 'halted: execution cancels open orders; no order is placed until `pnpm bot resume`' : 'already halted', {
        halted: true,
        newTrip: tripped,
      });
      return 0;
    }
    if (cmd === 'resume') {
      // Refused while today's loss is over the limit; after a daily-loss trip only with --confirm.
      const max = Number(process.env.RISK_MAX_DAILY_LOSS_USD ?? 100);
      const r = await breaker.resumeChecked({ confirm: values.confirm === true, fallbackMaxDailyLossUsd: Number.isFinite(max) && max > 0 ? max : 100 });
      if (!r.ok) {
        print(`resume refused: ${r.reason}${r.needsConfirmation ? ' (pnpm bot resume --confirm)' : ''}`, { resumed: false, ...r });
        return 1;
      }
      print('resumed', { resumed: true });
      return 0;
    }
    const s = await readStatus(redis, config.queuePrefix);
    if (cmd === 'orders') print(table((s.execution?.openOrders ?? []) as Array<Record<string, unknown>>), s.execution?.openOrders ?? []);
    else if (cmd === 'positions') print(positionsText(s), { positions: s.execution?.positions ?? [], money: s.execution?.money ?? null });
    else {
      const b = s.breaker.state;
      const human = [
        b.state === 'open'
          ? `breaker: OPEN (${b.kind}) since ${new Date(b.trippedAtMs).toISOString()}: ${b.reason}`
          : s.execution?.halt
            ? `breaker: closed in Redis, but execution is HALTED by its own record: ${s.execution.halt.reason} (pnpm bot resume)`
            : 'breaker: closed (trading)',
        s.risk
          ? `bankroll $${s.risk.bankrollUsd.toFixed(2)}, realised PnL $${s.risk.realisedPnlUsd.toFixed(2)}, open exposure $${s.risk.openExposureUsd.toFixed(2)}, fees $${s.risk.feesUsd.toFixed(2)}`
          : 'risk: no status yet',
        `workers: ${s.workers.map((w) => w.kind).join(', ') || 'none'}`,
        `live windows: ${s.markets.length}`,
        s.breaker.trips.length
          ? `last trips:\n${table(s.breaker.trips.slice(0, 5).map((t) => ({ at: new Date(t.trippedAtMs).toISOString(), kind: t.kind, reason: t.reason })))}`
          : '',
      ].filter(Boolean);
      print(human.join('\n'), { breaker: s.breaker, executionHalt: s.execution?.halt ?? null, risk: s.risk, workers: s.workers, markets: s.markets.length });
    }
    return 0;
  } catch (err) {
    process.stderr.write(`polybot bot: cannot reach Redis at ${redactRedisUrl(config.redisUrl)}: ${(err as Error).message}\n`);
    return 1;
  } finally {
    redis.disconnect();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  void main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}

/** Positions, then the money at the venue: the account, and what is redeemable, redeemed and merged. */
export function positionsText(s: StatusData): string {
  const out = [table((s.execution?.positions ?? []) as Array<Record<string, unknown>>)];
  const m = s.execution?.money;
  if (!m) return [...out, '\nmoney: no venue account (paper, or execution not running)'].join('\n');
  const a = m.account;
  const $ = (v: number) => `$${v.toFixed(2)}`;
  out.push(
    a
      ? `\naccount ${a.wallet}: pUSD ${$(a.balanceUsd)}, open orders ${$(a.openOrdersUsd)}, unsettled fills ${$(a.pendingUsd)}, positions at cost ${$(a.positionsUsd)}; ` +
          `redeemable ${$(a.redeemableUsd)}, redeemed ${$(a.redeemedUsd)}, merged ${$(a.mergedUsd)}; bankroll ${$(a.bankrollUsd)}, available ${$(a.availableUsd)}`
      : '\naccount: not read yet',
  );
  out.push(
    `\nredemptions and merges:\n${table(
      m.actions.map((x) => ({
        id: x.id,
        kind: x.kind,
        asset: x.asset ?? '',
        shares: x.shares,
        usd: x.amountUsd,
        state: x.state,
        transaction: x.transactionId ?? '',
        at: new Date(x.updatedAtMs).toISOString(),
      })),
    )}`,
  );
  return out.join('\n');
}
