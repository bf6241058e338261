import type { Logger } from 'pino';
import { z } from 'zod';
import type { Asset, Market } from '@polybot/shared';
import type { HttpClient } from './http.js';
import { normaliseGammaMarket, windowSlugs } from './polymarket/gamma.js';
import { ExpiringSet } from './expiring.js';

export interface DiscoveryConfig {
  assets: Asset[];
  intervalSeconds: number;
  /** How many windows from the current one to look up by slug. */
  windowsAhead: number;
}

export interface DiscoveryDeps {
  gamma: HttpClient;
  /** Whether the CLOB has a book for a token yet (new markets 404 there for minutes). */
  hasBook: (tokenIds: string[]) => Promise<boolean>;
  /** The CLOB's fee schedule (`/clob-markets/{id}` `fd`), for markets whose Gamma payload has none. */
  clobFee?: (conditionId: string) => Promise<{ rate: number; exponent: number; takerOnly: boolean } | null>;
  /** Our own price to beat, computed from the settlement feed at the window start. */
  ownPriceToBeat: (asset: Asset, windowStartMs: number, settlement: Market['settlement']) => Promise<number | null>;
  logger: Logger;
}

const KeysetPageSchema = z
  .object({ markets: z.array(z.unknown()).optional(), data: z.array(z.unknown()).optional(), next_cursor: z.string().nullish() })
  .passthrough();

const KEEP_AFTER_END_MS = 3_600_000;

/** Finds the active Up/Down markets of the configured assets and interval on Gamma. */
export class MarketDiscovery {
  // Keyed by market and kept an hour past its window's end (a sweep may still list it), then dropped.
  private readonly booksSeen = new ExpiringSet<string>();
  private readonly ptbCompared = new ExpiringSet<string>();
  rejected = 0;

  constructor(
    private readonly cfg: DiscoveryConfig,
    private readonly deps: DiscoveryDeps,
  ) {}

  /** Direct slug lookups for the current and next windows; the sweep (below) catches naming drift. */
  async getCrypto15mMarkets(nowMs: number): Promise<Market[]> {
    const raws: unknown[] = [];
    await Promise.all(
      this.cfg.assets.flatMap((asset) =>
        windowSlugs(asset, this.cfg.intervalSeconds, nowMs, this.cfg.windowsAhead).map(async (slug) => {
          try {
            raws.push(await this.deps.gamma.get(`/markets/slug/${slug}`, z.unknown()));
          } catch (err) {
            const code = (err as { code?: string }).code;
            if (code !== 'HTTP_NOT_FOUND') this.deps.logger.warn({ slug, err: (err as Error).message }, 'slug lookup failed');
          }
        }),
      ),
    );
    return this.normalise(raws, nowMs);
  }

  /** The whole listing, keyset pages followed to the end, filtered by series slug. */
  async sweep(nowMs: number, maxPages = 50): Promise<Market[]> {
    const raws: unknown[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < maxPages; page++) {
      const params: Record<string, string> = { closed: 'false', limit: '500' };
      if (cursor) params.after_cursor = cursor;
      const res = await this.deps.gamma.get('/markets/keyset', KeysetPageSchema, params);
      raws.push(...(res.markets ?? res.data ?? []));
      cursor = res.next_cursor ?? null;
      if (!cursor || cursor === 'LTE=') break;
    }
    const minutes = this.cfg.intervalSeconds / 60;
    const series = new Set(this.cfg.assets.map((a) => `${a.toLowerCase()}-up-or-down-${minutes}m`));
    const inSeries = raws.filter((r) => {
      const ev = (r as { events?: Array<{ seriesSlug?: string; series?: Array<{ slug?: string }> }> }).events?.[0];
      const s = ev?.seriesSlug ?? ev?.series?.[0]?.slug;
      return typeof s === 'string' && series.has(s);
    });
    return this.normalise(inSeries, nowMs);
  }

  private async normalise(raws: unknown[], nowMs: number): Promise<Market[]> {
    const out = new Map<string, Market>();
    this.booksSeen.prune(nowMs);
    this.ptbCompared.prune(nowMs);
    for (const raw of raws) {
      let r = normaliseGammaMarket(raw, { intervalSeconds: this.cfg.intervalSeconds });
      if (!r.ok && r.reason.startsWith('no fee schedule') && this.deps.clobFee) {
        const cid = (raw as { conditionId?: unknown }).conditionId;
        const fee = typeof cid === 'string' ? await this.deps.clobFee(cid).catch(() => null) : null;
        if (fee) r = normaliseGammaMarket(raw, { intervalSeconds: this.cfg.intervalSeconds, clobFee: fee });
      }
      if (!r.ok) {
        this.rejected += 1;
        this.deps.logger.warn({ marketId: r.id, reason: r.reason }, 'market skipped: failed normalisation');
        continue;
      }
      let m = r.market;
      if (!m.acceptingOrders || m.windowEndMs <= nowMs) continue;
      if (!this.booksSeen.has(m.conditionId)) {
        if (!(await this.deps.hasBook([m.upTokenId, m.downTokenId]).catch(() => false))) continue;
        this.booksSeen.add(m.conditionId, m.windowEndMs + KEEP_AFTER_END_MS);
      }
      if (m.priceToBeat === null && nowMs >= m.windowStartMs) {
        const own = await this.deps.ownPriceToBeat(m.asset, m.windowStartMs, m.settlement);
        if (own !== null) m = { ...m, priceToBeat: own };
      } else if (m.priceToBeat !== null && !this.ptbCompared.has(m.conditionId)) {
        // Gamma's published price to beat is trusted; ours is compared once and any difference logged.
        this.ptbCompared.add(m.conditionId, m.windowEndMs + KEEP_AFTER_END_MS);
        const own = await this.deps.ownPriceToBeat(m.asset, m.windowStartMs, m.settlement);
        if (own !== null && Math.abs(own / m.priceToBeat - 1) > 1e-5) {
          this.deps.logger.warn({ slug: m.slug, gamma: m.priceToBeat, ours: own }, 'price to beat differs from our settlement feed; trusting Gamma');
        }
      }
      out.set(m.conditionId, m);
    }
    return [...out.values()];
  }
}

/** The settlement price at a window's start from recorded ticks: the TWAP of the lookback, or the last price at or before it. */
export function priceToBeatFromHistory(
  points: Array<{ timestampMs: number; price: number }>,
  windowStartMs: number,
  settlement: Market['settlement'],
): number | null {
  const before = points.filter((p) => p.timestampMs <= windowStartMs).sort((a, b) => a.timestampMs - b.timestampMs);
  if (before.length === 0) return null;
  const last = before[before.length - 1]!;
  if (windowStartMs - last.timestampMs > 5_000) return null; // no tick near the start: unknown
  if (settlement.kind === 'point') return last.price;
  const from = windowStartMs - settlement.lookbackSeconds * 1000;
  const inWindow = before.filter((p) => p.timestampMs > from);
  if (inWindow.length < settlement.lookbackSeconds * 0.8) return null; // too sparse to reproduce the TWAP
  return inWindow.reduce((s, p) => s + p.price, 0) / inWindow.length;
}
