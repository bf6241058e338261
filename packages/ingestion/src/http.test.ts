/** The HTTP layer against a local fake server: every outage shape, with retry counts and waits asserted. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createHttpClient, parseRetryAfter } from './http.js';

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
const status = (code: number, headers: Record<string, string> = {}): Handler => (_q, s) => {
  s.writeHead(code, headers);
  s.end(JSON.stringify({ error: 'x' }));
};
function client(extra: Partial<Parameters<typeof createHttpClient>[0]> = {}) {
  const waits: number[] = [];
  const c = createHttpClient({ baseURL: base, logger, maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1_000, random: () => 0.5, sleep: async (ms) => void waits.push(ms), timeoutMs: 300, ...extra });
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
    script = [(_q, s) => {
      s.writeHead(200, { 'content-length': '100' });
      s.write('{"ok":');
      setTimeout(() => s.socket?.destroy(), 20);
    }, ok];
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
});
