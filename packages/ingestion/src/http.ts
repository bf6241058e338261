/**
 * One HTTP layer for every Polymarket call: a timeout on each request, exponential backoff with
 * jitter on 5xx, timeouts and network errors, Retry-After honoured on 429, a per-host rate limiter,
 * and a bounded number of attempts after which the failure is reported, not retried forever.
 */
import axios, { type AxiosInstance, isAxiosError } from 'axios';
import Bottleneck from 'bottleneck';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { PolybotError } from '@polybot/shared';
import { metrics } from '@polybot/shared/metrics';

export interface HttpOptions {
  baseURL: string;
  logger: Logger;
  timeoutMs?: number;
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Requests per 10 s allowed to this host. */
  per10s?: number;
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

export function createHttpClient(opts: HttpOptions): HttpClient {
  const host = new URL(opts.baseURL).host;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = opts.random ?? Math.random;
  const maxAttempts = opts.maxAttempts ?? 4;
  const backoff = { baseDelayMs: opts.baseDelayMs ?? 250, maxDelayMs: opts.maxDelayMs ?? 8_000, random };
  const ax: AxiosInstance = axios.create({
    baseURL: opts.baseURL,
    timeout: opts.timeoutMs ?? 5_000,
    // Keep bodies as text: we parse them ourselves so malformed JSON is our error, not axios's.
    transformResponse: [(d: unknown) => d],
    responseType: 'text',
    validateStatus: () => true,
    paramsSerializer: { indexes: null },
  });
  const limiter = new Bottleneck({ reservoir: opts.per10s ?? 300, reservoirRefreshAmount: opts.per10s ?? 300, reservoirRefreshInterval: 10_000, maxConcurrent: 16 });

  async function request<T>(method: 'GET' | 'POST', path: string, schema: z.ZodType<T>, params?: unknown, body?: unknown): Promise<T> {
    let lastError: PolybotError | null = null;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      let waitMs: number | null = null;
      try {
        const res = await limiter.schedule(() => ax.request<string>({ method, url: path, params, data: body }));
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
            throw new PolybotError('SCHEMA_INVALID', `${method} ${path}: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
          }
          return parsed.data;
        }
        metrics.httpRequests.inc({ host, outcome: String(res.status) });
        if (res.status === 429) {
          metrics.http429.inc({ host });
          waitMs = parseRetryAfter(res.headers['retry-after'], Date.now());
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
