/**
 * One HTTP layer for every Polymarket call (`@polybot/shared/http`): a timeout on each request,
 * exponential backoff with jitter on 5xx, timeouts and network errors, Retry-After honoured on 429,
 * per-host (and per-path) rate limits kept below the published Cloudflare limits and shared by every
 * process through Redis (the worker runtime installs the shared limiter, see `useRateLimiter`), and a bounded
 * number of attempts after which the failure is logged, counted and thrown, never retried forever.
 * Clock, sleep and randomness are injectable so tests assert exact waits without real time.
 */
import axios, { type AxiosInstance, isAxiosError } from 'axios';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { PolybotError } from './errors.js';
import { metrics } from './metrics.js';
import { LocalRateLimiter, window10s, type NamedLimit, type RateLimiter } from './rateLimit.js';

/** A limit on requests per 10 s for paths starting with `prefix` (longest prefix wins). */
export interface RateRule {
  prefix: string;
  per10s: number;
}

/**
 * Published per-IP limits per 10 s (docs/polymarket.md §1, §3) with ~10 % headroom. `/book` is
 * matched exactly by the limiter so it does not swallow `/books`.
 */
export const POLYMARKET_RATE_RULES: readonly RateRule[] = [
  { prefix: '/books', per10s: 450 },
  { prefix: '/book', per10s: 1_350 },
  { prefix: '/markets', per10s: 270 },
  { prefix: '/events', per10s: 450 },
  { prefix: '/data/', per10s: 450 },
];

export interface HttpOptions {
  baseURL: string;
  logger: Logger;
  timeoutMs?: number;
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Requests per 10 s to this host for paths no rule matches (CLOB 9,000, Gamma 4,000 published). */
  per10s?: number;
  rules?: readonly RateRule[];
  /** The limiter to wait on (default: the process's, see `useRateLimiter`). */
  limiter?: RateLimiter;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export interface HttpClient {
  get<T>(path: string, schema: z.ZodType<T>, params?: Record<string, string | string[] | number | boolean>): Promise<T>;
  post<T>(path: string, body: unknown, schema: z.ZodType<T>): Promise<T>;
}

export function retryDelayMs(attempt: number, opts: { baseDelayMs: number; maxDelayMs: number; random: () => number }): number {
  const exp = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(exp / 2 + opts.random() * (exp / 2));
}

/** Retry-After as seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: unknown, nowMs: number): number | null {
  if (typeof value !== 'string' || value.trim() === '') return null;
  const s = Number(value);
  if (Number.isFinite(s) && s >= 0) return s * 1000;
  const t = Date.parse(value);
  return Number.isFinite(t) ? Math.max(0, t - nowMs) : null;
}

/** Which rule governs a path: `/book` only exactly (or with a query), others by longest prefix. */
export function matchRule(path: string, rules: readonly RateRule[]): RateRule | null {
  const p = path.split('?')[0]!;
  let best: RateRule | null = null;
  for (const r of rules) {
    const hit = r.prefix === '/book' ? p === '/book' : p.startsWith(r.prefix);
    if (hit && (best === null || r.prefix.length > best.prefix.length)) best = r;
  }
  return best;
}

// One limiter for every client of the process, so two clients to one host cannot double the rate;
// the worker runtime replaces it with the one shared through Redis, so N processes cannot either.
let processLimiter: RateLimiter = new LocalRateLimiter();

/** Every HTTP client of this process created without its own limiter waits on `limiter` from now on. */
export function useRateLimiter(limiter: RateLimiter): void {
  processLimiter = limiter;
}

export function createHttpClient(opts: HttpOptions): HttpClient {
  const host = new URL(opts.baseURL).host;
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = opts.random ?? Math.random;
  const maxAttempts = opts.maxAttempts ?? 4;
  const rules = opts.rules ?? POLYMARKET_RATE_RULES;
  const backoff = { baseDelayMs: opts.baseDelayMs ?? 250, maxDelayMs: opts.maxDelayMs ?? 8_000, random };
  // Injected clocks get a private limiter: a test's fake time must not share state with real time.
  const injectedClock = opts.now !== undefined || opts.sleep !== undefined;
  const privateLimiter = injectedClock ? new LocalRateLimiter({ now, sleep }) : null;
  // Read at each request: the runtime may install the shared limiter after this client was made.
  const limiter = (): RateLimiter => opts.limiter ?? privateLimiter ?? processLimiter;
  const limitsForPath = (path: string): NamedLimit[] => {
    const rule = matchRule(path, rules);
    const limit = rule?.per10s ?? opts.per10s ?? 3_000;
    // The catch-all limit is named by its size too: on sim, Gamma, CLOB and the oracle share a host.
    return [{ name: rule ? `${host} ${rule.prefix}` : `${host} * ${limit}`, limit: window10s(limit) }];
  };
  const ax: AxiosInstance = axios.create({
    baseURL: opts.baseURL,
    timeout: opts.timeoutMs ?? 5_000,
    // Keep bodies as text: we parse them ourselves so malformed JSON is our error, not axios's.
    transformResponse: [(d: unknown) => d],
    responseType: 'text',
    validateStatus: () => true,
    paramsSerializer: { indexes: null },
  });

  async function request<T>(method: 'GET' | 'POST', path: string, schema: z.ZodType<T>, params?: unknown, body?: unknown): Promise<T> {
    let lastError: PolybotError | null = null;
    const limits = limitsForPath(path);
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      let waitMs: number | null = null;
      try {
        await limiter().acquire(limits);
        const res = await ax.request<string>({ method, url: path, params, data: body });
        if (res.status >= 200 && res.status < 300) {
          metrics.httpRequests.inc({ host, outcome: 'ok' });
          let json: unknown;
          try {
            json = JSON.parse(res.data);
          } catch {
            metrics.schemaRejects.inc({ source: host });
            throw new PolybotError('SCHEMA_INVALID', `${method} ${path}: malformed JSON`);
          }
          const parsed = schema.safeParse(json);
          if (!parsed.success) {
            metrics.schemaRejects.inc({ source: host });
            throw new PolybotError(
              'SCHEMA_INVALID',
              `${method} ${path}: ${parsed.error.issues
                .slice(0, 3)
                .map((i) => `${i.path.join('.')}: ${i.message}`)
                .join('; ')}`,
            );
          }
          return parsed.data;
        }
        metrics.httpRequests.inc({ host, outcome: String(res.status) });
        if (res.status === 429) {
          metrics.http429.inc({ host });
          waitMs = parseRetryAfter(res.headers['retry-after'], now());
          // Every process waits, not only this request: the limit is per IP. (A test's own clock
          // only sees this request's wait below.)
          if (waitMs !== null && !injectedClock) await limiter().pause(limits[0]!, waitMs);
          lastError = new PolybotError('HTTP_RATE_LIMITED', `${method} ${path}: 429 Too Many Requests`);
        } else if (res.status >= 500) {
          lastError = new PolybotError('HTTP_SERVER', `${method} ${path}: HTTP ${res.status}`);
        } else if (res.status === 404) {
          throw new PolybotError('HTTP_NOT_FOUND', `${method} ${path}: 404`);
        } else {
          throw new PolybotError('HTTP_CLIENT', `${method} ${path}: HTTP ${res.status} ${String(res.data).slice(0, 200)}`);
        }
      } catch (err) {
        if (err instanceof PolybotError && !err.retryable) throw err;
        if (isAxiosError(err)) {
          const timeout = err.code === 'ECONNABORTED' || err.code === 'ETIMEDOUT';
          metrics.httpRequests.inc({ host, outcome: timeout ? 'timeout' : 'network' });
          lastError = new PolybotError(timeout ? 'HTTP_TIMEOUT' : 'HTTP_NETWORK', `${method} ${path}: ${err.message}`, { cause: err });
        } else if (err instanceof PolybotError) lastError = err;
        else throw err;
      }
      if (attempt < maxAttempts) {
        const delay = waitMs ?? retryDelayMs(attempt, backoff);
        metrics.httpRetries.inc({ host, reason: lastError?.code ?? 'unknown' });
        opts.logger.warn({ host, path, attempt, delayMs: delay, err: lastError?.message }, 'http retry');
        await sleep(delay);
      }
    }
    opts.logger.error({ host, path, attempts: maxAttempts, err: lastError?.message }, 'http request failed after retries');
    throw lastError ?? new PolybotError('HTTP_NETWORK', `${method} ${path}: failed`);
  }

  return {
    get: (path, schema, params) => request('GET', path, schema, params),
    post: (path, body, schema) => request('POST', path, schema, undefined, body),
  };
}
