/** Telegram commands against a local fake Bot API: only the configured chat is obeyed. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTelegramCommands } from './telegram.js';

const token = '123456:fake-token';
const sent: Array<{ chat_id: string; text: string }> = [];
let queue: unknown[] = [];
let server: http.Server;
let base: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (req.url === `/bot${token}/getUpdates`) {
        const result = queue;
        queue = [];
        setTimeout(() => res.end(JSON.stringify({ ok: true, result })), result.length ? 0 : 100);
      } else if (req.url === `/bot${token}/sendMessage`) {
        sent.push(JSON.parse(body) as { chat_id: string; text: string });
        res.end('{"ok":true}');
      } else res.writeHead(404).end('{"ok":false}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const until = async (cond: () => boolean) => {
  const end = Date.now() + 5_000;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('telegram commands', () => {
  it('answers /status, /daily, /halt and /resume from the configured chat only', async () => {
    let halted = false;
    const stop = startTelegramCommands({
      token,
      chatId: '42',
      baseUrl: base,
      logger: pino({ level: 'silent' }),
      pollSeconds: 1,
      handlers: {
        status: async () => `breaker ${halted ? 'open' : 'closed'}`,
        daily: async () => 'today: PnL $1.00',
        halt: async (reason) => ((halted = true), `halted: ${reason}`),
        resume: async () => ((halted = false), 'resumed'),
      },
    });
    const msg = (id: number, chat: number, text: string) => ({ update_id: id, message: { message_id: id, chat: { id: chat }, text } });
    queue = [msg(1, 999, '/halt stranger')];
    await new Promise((r) => setTimeout(r, 400));
    expect(halted).toBe(false);
    expect(sent).toEqual([]);
    queue = [msg(2, 42, '/halt drawdown')];
    await until(() => sent.length === 1);
    expect(halted).toBe(true);
    expect(sent[0]).toEqual({ chat_id: '42', text: 'halted: halted from Telegram: drawdown' });
    queue = [msg(3, 42, '/status'), msg(4, 42, '/daily'), msg(5, 42, '/resume'), msg(6, 7, '/resume')];
    await until(() => sent.length === 4);
    expect(sent.slice(1).map((s) => s.text)).toEqual(['breaker open', 'today: PnL $1.00', 'resumed']);
    expect(halted).toBe(false);
    await stop();
  }, 20_000);
});
