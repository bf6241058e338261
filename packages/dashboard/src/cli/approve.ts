/**
 * `pnpm bot approve`: reads the account's trading approvals at the venue and grants the missing ones
 * in one deposit-wallet batch through the relayer — only when run; nothing grants them on its own.
 */
import { z } from 'zod';
import { approveMissing, describeMissing, readApprovals } from '@polybot/execution';
import { moneyRelayer } from '@polybot/execution/money';
import { createClobV2Port, resolveSigningKey, resolveWallet } from '@polybot/execution/venue';
import { parseEnv, type BaseConfig } from '@polybot/shared/config';

const EnvSchema = z.object({
  POLYBOT_SIGNATURE_TYPE: z.coerce.number().int().min(0).max(3).optional(),
  POLYBOT_FUNDER_ADDRESS: z
    .string()
    .regex(/^0x[0-9a-fA-F]{40}$/)
    .optional(),
  POLYBOT_RELAYER_URL: z.string().url().optional(),
  POLYBOT_RELAYER_API_KEY: z.string().min(1).optional(),
  POLYBOT_RELAYER_API_KEY_ADDRESS: z
    .string()
    .regex(/^0x[0-9a-fA-F]{40}$/)
    .optional(),
});

const GammaMarkets = z.array(z.object({ clobTokenIds: z.string() }).passthrough());

/** Any open market's token: the CLOB reports outcome-token approvals per token. */
async function anyToken(gammaUrl: string): Promise<string | null> {
  try {
    const res = await fetch(`${gammaUrl.replace(/\/+$/, '')}/markets?limit=1&closed=false`, { signal: AbortSignal.timeout(5_000) });
    const list = GammaMarkets.safeParse(await res.json());
    const ids = list.success && list.data[0] ? z.array(z.string()).safeParse(JSON.parse(list.data[0].clobTokenIds)) : null;
    return ids?.success ? (ids.data[0] ?? null) : null;
  } catch {
    return null;
  }
}

export async function approveCommand(config: BaseConfig, print: (human: string, data: unknown) => void): Promise<number> {
  if (config.venue === 'paper') {
    print('paper trading has no account to approve', { ok: false, reason: 'paper' });
    return 2;
  }
  const env = parseEnv(EnvSchema, process.env);
  const key = resolveSigningKey(config.venue, process.env, config.dataDir);
  const wallet = await resolveWallet(
    config.venue,
    { signatureType: env.POLYBOT_SIGNATURE_TYPE, funderAddress: env.POLYBOT_FUNDER_ADDRESS },
    config.clobUrl,
    key,
  );
  const port = await createClobV2Port({ host: config.clobUrl, privateKey: key, timeoutMs: 10_000, ...wallet });
  const read = port.balanceAllowance;
  if (!read) {
    print('this venue does not report allowances', { ok: false });
    return 1;
  }
  const report = await readApprovals((a, r) => read(a, r), await anyToken(config.gammaUrl));
  const lines = describeMissing(report);
  if (lines.length === 0) {
    print(`every trading approval is in place (pUSD balance $${report.balanceUsd.toFixed(2)})`, { ok: true, missing: [] });
    return 0;
  }
  const r = await moneyRelayer({
    venue: config.venue,
    key,
    depositWallet: env.POLYBOT_SIGNATURE_TYPE === 3 ? { address: env.POLYBOT_FUNDER_ADDRESS ?? null } : null,
    relayer: {
      url: env.POLYBOT_RELAYER_URL ?? (config.venue === 'sim' ? config.clobUrl : 'https://relayer-v2.polymarket.com'),
      apiKey: env.POLYBOT_RELAYER_API_KEY ?? null,
      apiKeyAddress: env.POLYBOT_RELAYER_API_KEY_ADDRESS ?? null,
    },
    timeoutMs: 10_000,
  });
  if (!r.relayer) {
    print(`${lines.join('\n')}\ncannot grant them from here: ${r.why}; approve them in the Polymarket app`, { ok: false, missing: lines, reason: r.why });
    return 1;
  }
  const out = await approveMissing(r.relayer, report);
  if (out.kind === 'confirmed') {
    print(
      `${lines.join('\n')}\ngranted in relayer transaction ${out.transactionId}${out.transactionHash ? ` (${out.transactionHash})` : ''}: ${out.granted.join(', ')}`,
      { ok: true, ...out },
    );
    return 0;
  }
  if (out.kind === 'nothing_to_do') return 0;
  print(`${lines.join('\n')}\napprovals not granted: ${out.message}`, { ok: false, missing: lines, error: out.message });
  return 1;
}
