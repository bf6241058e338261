/** The HTTP layer against a local fake server: every outage shape, with retry counts and waits asserted. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createHttpClient, matchRule, parseRetryAfter, POLYMARKET_RATE_RULES } from './http.js';
import { LocalRateLimiter, window10s } from './rateLimit.js';
import { metrics } from './metrics.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;
let script: Handler[] = [];
let hits = 0;
let server: http.Server;
let base: string;
const logger = pino({ level: 'silent' });

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const h = script[Math.min(hits, script.length - 1)]!;
    hits++;
    h(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  hits = 0;
});

const ok: Handler = (_q, s) => s.end(JSON.stringify({ ok: true }));
const status =
  (code: number, headers: Record<string, string> = {}): Handler =>
  (_q, s) => {
    s.writeHead(code, headers);
    s.end(JSON.stringify({ error: 'x' }));
  };
function client(extra: Partial<Parameters<typeof createHttpClient>[0]> = {}) {
  const waits: number[] = [];
  const c = createHttpClient({
    baseURL: base,
    logger,
    maxAttempts: 4,
    baseDelayMs: 100,
    maxDelayMs: 1_000,
    random: () => 0.5,
    sleep: async (ms) => void waits.push(ms),
    timeoutMs: 300,
    ...extra,
  });
  return { c, waits };
}
const Ok = z.object({ ok: z.literal(true) });

describe('HTTP layer', () => {
  it('honours Retry-After on 429', async () => {
    script = [status(429, { 'Retry-After': '2' }), ok];
    const { c, waits } = client();
    expect(await c.get('/x', Ok)).toEqual({ ok: true });
    expect(hits).toBe(2);
    expect(waits).toEqual([2_000]);
  });

  it('backs off exponentially with jitter through a 500 burst', async () => {
    script = [status(500), status(502), status(503), ok];
    const { c, waits } = client();
    expect(await c.get('/x', Ok)).toEqual({ ok: true });
    expect(hits).toBe(4);
    expect(waits).toEqual([75, 150, 300]); // base 100·2^(n−1), half fixed + half jitter (random 0.5)
  });

  it('gives up after the bounded attempts and reports the failure', async () => {
    script = [status(500)];
    const { c, waits } = client();
    await expect(c.get('/x', Ok)).rejects.toMatchObject({ code: 'HTTP_SERVER' });
    expect(hits).toBe(4);
    expect(waits).toHaveLength(3);
  });

  it('retries a timeout', async () => {
    script = [(_q, s) => setTimeout(() => s.end('{"ok":true}'), 1_000), ok];
    const { c } = client();
    expect(await c.get('/x', Ok)).toEqual({ ok: true });
    expect(hits).toBe(2);
  });

  it('retries a connection dropped mid-body', async () => {
    script = [
      (_q, s) => {
        s.writeHead(200, { 'content-length': '100' });
        s.write('{"ok":');
        setTimeout(() => s.socket?.destroy(), 20);
      },
      ok,
    ];
    const { c } = client();
    expect(await c.get('/x', Ok)).toEqual({ ok: true });
    expect(hits).toBe(2);
  });

  it('does not retry malformed JSON or a schema violation: they are errors, not outages', async () => {
    script = [(_q, s) => s.end('{"ok": tru')];
    const { c } = client();
    await expect(c.get('/x', Ok)).rejects.toMatchObject({ code: 'SCHEMA_INVALID' });
    expect(hits).toBe(1);
    hits = 0;
    script = [(_q, s) => s.end('{"ok": false}')];
    await expect(c.get('/x', Ok)).rejects.toMatchObject({ code: 'SCHEMA_INVALID' });
    expect(hits).toBe(1);
  });

  it('reads Retry-After as seconds or a date', () => {
    expect(parseRetryAfter('3', 0)).toBe(3_000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(parseRetryAfter('soon', 0)).toBeNull();
    expect(parseRetryAfter(undefined, 0)).toBeNull();
  });

  it('counts retries and 429s in the shared metrics', async () => {
    const count = async (c: { get(): Promise<{ values: Array<{ value: number; labels: Record<string, unknown> }> }> }, host: string) =>
      (await c.get()).values.filter((v) => v.labels.host === host).reduce((a, v) => a + v.value, 0);
    const host = new URL(base).host;
    const r0 = await count(metrics.httpRetries, host);
    const q0 = await count(metrics.http429, host);
    script = [status(429, { 'Retry-After': '1' }), status(500), ok];
    const { c, waits } = client();
    await c.get('/x', Ok);
    expect(waits).toEqual([1_000, 150]);
    expect((await count(metrics.httpRetries, host)) - r0).toBe(2);
    expect((await count(metrics.http429, host)) - q0).toBe(1);
  });

  it('reads an HTTP-date Retry-After against the injected clock', async () => {
    script = [status(429, { 'Retry-After': new Date(50_000).toUTCString() }), ok];
    const { c, waits } = client({ now: () => 47_500 });
    await c.get('/x', Ok);
    expect(waits).toEqual([2_500]); // 50 000 − 47 500
  });

  it('does not retry a 404 or a 400', async () => {
    script = [status(404)];
    const { c, waits } = client();
    await expect(c.get('/x', Ok)).rejects.toMatchObject({ code: 'HTTP_NOT_FOUND' });
    script = [status(400)];
    await expect(c.get('/x', Ok)).rejects.toMatchObject({ code: 'HTTP_CLIENT' });
    expect(hits).toBe(2);
    expect(waits).toEqual([]);
  });
});

describe('rate limiting', () => {
  it('holds the n+1th request of a 10-s window until the first one leaves it', async () => {
    let t = 1_000;
    const waits: number[] = [];
    const lim = new LocalRateLimiter({
      now: () => t,
      sleep: async (ms) => {
        waits.push(ms);
        t += ms;
      },
    });
    const three = [{ name: 'x', limit: window10s(3) }];
    for (let i = 0; i < 3; i++) {
      await lim.acquire(three);
      t += 100;
    }
    expect(waits).toEqual([]);
    await lim.acquire(three); // t = 1300: the first start (1000) leaves the window at 11000
    expect(waits).toEqual([9_700]);
    expect(t).toBe(11_000);
  });

  it('applies the published per-path limits, /book and /books apart', () => {
    expect(matchRule('/books', POLYMARKET_RATE_RULES)?.per10s).toBeLessThan(500);
    expect(matchRule('/book', POLYMARKET_RATE_RULES)?.per10s).toBeLessThan(1_500);
    expect(matchRule('/book', POLYMARKET_RATE_RULES)?.prefix).toBe('/book');
    expect(matchRule('/markets/keyset', POLYMARKET_RATE_RULES)?.per10s).toBeLessThan(300);
    expect(matchRule('/oracle/btc', POLYMARKET_RATE_RULES)).toBeNull();
  });

  it('paces a client through its limiter with the injected clock', async () => {
    script = [ok];
    let t = 0;
    const waits: number[] = [];
    const c = createHttpClient({
      baseURL: base,
      logger,
      per10s: 2,
      rules: [],
      now: () => t,
      sleep: async (ms) => {
        waits.push(ms);
        t += ms;
      },
    });
    await c.get('/x', Ok);
    await c.get('/x', Ok);
    await c.get('/x', Ok);
    expect(hits).toBe(3);
    expect(waits).toEqual([10_000]);
  });
});
