/**
 * Gamma's market JSON and its normalisation into the shared `Market`. Only this adapter knows
 * Gamma's field names. Parsers are pure functions of (payload, context).
 */
import { z } from 'zod';
import { AssetSchema, MarketSchema, type Asset, type Market } from '@polybot/shared';

/** Fields Gamma sends as strings holding JSON (`"[\"Up\", \"Down\"]"`). */
const jsonStringArray = z.string().transform((s, ctx) => {
  try {
    const v: unknown = JSON.parse(s);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number')) return v.map(String);
  } catch {
    /* reported below */
  }
  ctx.addIssue({ code: 'custom', message: 'expected a JSON-encoded array of strings' });
  return z.NEVER;
});

const GammaEventSchema = z
  .object({
    slug: z.string().nullish(),
    seriesSlug: z.string().nullish(),
    series: z.array(z.object({ slug: z.string().nullish(), recurrence: z.string().nullish() }).passthrough()).nullish(),
    eventMetadata: z
      .object({ priceToBeat: z.coerce.number().positive().nullish(), finalPrice: z.coerce.number().positive().nullish() })
      .passthrough()
      .nullish(),
  })
  .passthrough();

export const GammaMarketSchema = z
  .object({
    id: z.union([z.string(), z.number()]).transform(String),
    conditionId: z.string(),
    slug: z.string(),
    outcomes: jsonStringArray,
    clobTokenIds: jsonStringArray.nullish(),
    positionIds: z.array(z.string()).nullish(),
    version: z.string().nullish(),
    eventStartTime: z.string().nullish(),
    endDate: z.string(),
    active: z.boolean().nullish(),
    closed: z.boolean().nullish(),
    acceptingOrders: z.boolean().nullish(),
    negRisk: z.boolean().nullish(),
    orderPriceMinTickSize: z.coerce.number().positive(),
    orderMinSize: z.coerce.number().positive(),
    feeSchedule: z.object({ rate: z.number(), exponent: z.number(), takerOnly: z.boolean() }).passthrough().nullish(),
    cryptoMarketConfig: z.object({ twapEnabled: z.boolean().nullish(), twapLookbackSeconds: z.number().int().positive().nullish() }).passthrough().nullish(),
    events: z.array(GammaEventSchema).nullish(),
  })
  .passthrough();
export type GammaMarket = z.infer<typeof GammaMarketSchema>;

export type NormaliseResult = { ok: true; market: Market } | { ok: false; id: string; reason: string };

const SLUG_RE = /^(btc|eth|sol|xrp)-updown-(\d+)m-(\d+)$/;

/** Which asset and interval a slug names; null for anything that is not an `{asset}-updown-{N}m-{start}` market. */
export function parseUpDownSlug(slug: string): { asset: Asset; intervalMinutes: number; startS: number } | null {
  const m = SLUG_RE.exec(slug);
  if (!m) return null;
  return { asset: AssetSchema.parse(m[1]!.toUpperCase()), intervalMinutes: Number(m[2]), startS: Number(m[3]) };
}

/** Window slugs for the window containing `nowMs` and the next ones (aligned to the interval). */
export function windowSlugs(asset: Asset, intervalSeconds: number, nowMs: number, count = 2): string[] {
  const start = Math.floor(nowMs / 1000 / intervalSeconds) * intervalSeconds;
  return Array.from({ length: count }, (_, i) => `${asset.toLowerCase()}-updown-${intervalSeconds / 60}m-${start + i * intervalSeconds}`);
}

/**
 * Gamma → Market. Tokens are mapped by outcome label, never by position; the interval comes from
 * the slug and must match the one asked for, so 5m, hourly or 4h markets never pass for 15m ones.
 */
export function normaliseGammaMarket(
  raw: unknown,
  ctx: { intervalSeconds: number; priceToBeat?: number | null; clobFee?: { rate: number; exponent: number; takerOnly: boolean } | null },
): NormaliseResult {
  const idOf = (r: unknown) => (r && typeof r === 'object' && 'id' in r ? String((r as { id: unknown }).id) : '?');
  const parsed = GammaMarketSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, id: idOf(raw), reason: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
  const g = parsed.data;
  const slug = parseUpDownSlug(g.slug);
  if (!slug) return { ok: false, id: g.id, reason: `not an up/down slug: ${g.slug}` };
  if (slug.intervalMinutes * 60 !== ctx.intervalSeconds) return { ok: false, id: g.id, reason: `interval ${slug.intervalMinutes}m is not the one asked for` };
  const tokens = g.version === 'v2' && g.positionIds ? g.positionIds : g.clobTokenIds;
  if (!tokens || tokens.length !== g.outcomes.length) return { ok: false, id: g.id, reason: 'token ids do not match outcomes' };
  const idx = (label: string) => g.outcomes.findIndex((o) => o.trim().toLowerCase() === label);
  const up = idx('up');
  const down = idx('down');
  if (up < 0 || down < 0) return { ok: false, id: g.id, reason: `outcomes are not Up/Down: ${g.outcomes.join(',')}` };
  const startMs = g.eventStartTime ? Date.parse(g.eventStartTime) : slug.startS * 1000;
  const endMs = Date.parse(g.endDate);
  if (!Number.isFinite(startMs) || !Number.isFinite(endMs)) return { ok: false, id: g.id, reason: 'unparseable window times' };
  if (startMs !== slug.startS * 1000) return { ok: false, id: g.id, reason: 'eventStartTime disagrees with the slug' };
  const fee = g.feeSchedule ?? ctx.clobFee ?? null;
  // Never guess a fee: a market whose fee schedule is unknown is skipped.
  if (!fee) return { ok: false, id: g.id, reason: 'no fee schedule (neither Gamma feeSchedule nor CLOB fd)' };
  const twap = g.cryptoMarketConfig?.twapEnabled === true;
  const gammaPtb = g.events?.[0]?.eventMetadata?.priceToBeat ?? null;
  const candidate = {
    id: g.id,
    conditionId: g.conditionId,
    slug: g.slug,
    asset: slug.asset,
    intervalSeconds: ctx.intervalSeconds,
    windowStartMs: startMs,
    windowEndMs: endMs,
    upTokenId: tokens[up],
    downTokenId: tokens[down],
    // Gamma's published price to beat wins over our own computation.
    priceToBeat: gammaPtb ?? ctx.priceToBeat ?? null,
    tickSize: g.orderPriceMinTickSize,
    minOrderSize: g.orderMinSize,
    feeSchedule: { rate: fee.rate, exponent: fee.exponent, takerOnly: fee.takerOnly },
    settlement: twap ? { kind: 'twap' as const, lookbackSeconds: g.cryptoMarketConfig?.twapLookbackSeconds ?? 60 } : { kind: 'point' as const },
    acceptingOrders: g.active !== false && g.closed !== true && g.acceptingOrders === true,
    negRisk: g.negRisk === true,
  };
  const market = MarketSchema.safeParse(candidate);
  if (!market.success) return { ok: false, id: g.id, reason: market.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
  return { ok: true, market: market.data };
}

export function gammaPriceToBeat(raw: unknown): number | null {
  const parsed = GammaMarketSchema.safeParse(raw);
  return parsed.success ? (parsed.data.events?.[0]?.eventMetadata?.priceToBeat ?? null) : null;
}
