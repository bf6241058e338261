/**
 * Telegram commands: `/status`, `/daily`, `/halt [reason]`, `/resume`, taken by long-polling the
 * Bot API's getUpdates and answered in the same chat, but only from the one configured chat id:
 * a message from any other chat is ignored (logged without its text) and never answered.
 */
import type { Logger } from 'pino';
import { z } from 'zod';

const UpdateSchema = z
  .object({
    update_id: z.number().int(),
    message: z
      .object({
        chat: z.object({ id: z.union([z.number(), z.string()]) }).passthrough(),
        text: z.string().optional(),
      })
      .passthrough()
      .optional(),
  })
  .passthrough();
const UpdatesSchema = z.object({ ok: z.boolean(), result: z.array(z.unknown()).default([]) }).passthrough();

export interface TelegramCommandHandlers {
  status(): Promise<string>;
  daily(): Promise<string>;
  halt(reason: string): Promise<string>;
  resume(): Promise<string>;
}

export const TELEGRAM_HELP = 'commands: /status, /daily, /halt [reason], /resume';

/** The answer to one command text (`/halt@mybot why` works too); null for what is not a command. */
export async function answerCommand(text: string, h: TelegramCommandHandlers): Promise<string | null> {
  const m = /^\/([a-z]+)(?:@\S+)?(?:\s+([\s\S]*))?$/i.exec(text.trim());
  if (!m) return null;
  const arg = (m[2] ?? '').trim().slice(0, 200);
  switch (m[1]!.toLowerCase()) {
    case 'status':
      return h.status();
    case 'daily':
      return h.daily();
    case 'halt':
      return h.halt(arg ? `halted from Telegram: ${arg}` : 'halted from Telegram');
    case 'resume':
      return h.resume();
    case 'start':
    case 'help':
      return TELEGRAM_HELP;
    default:
      return `unknown command /${m[1]}. ${TELEGRAM_HELP}`;
  }
}

export interface TelegramPollerOptions {
  token: string;
  chatId: string;
  baseUrl?: string;
  logger: Logger;
  handlers: TelegramCommandHandlers;
  /** Long-poll timeout in seconds (Telegram holds the request up to this long). */
  pollSeconds?: number;
}

/** Starts the long-poll loop; returns a stopper. */
export function startTelegramCommands(opts: TelegramPollerOptions): () => Promise<void> {
  const base = `${opts.baseUrl ?? 'https://api.telegram.org'}/bot${opts.token}`;
  const pollSeconds = opts.pollSeconds ?? 25;
  let offset = 0;
  let stopped = false;
  let abort = new AbortController();
  const scrub = (s: string) => s.split(opts.token).join('[redacted]');
  const send = async (text: string) => {
    const r = await fetch(`${base}/sendMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ chat_id: opts.chatId, text }),
      signal: AbortSignal.timeout(5_000),
    });
    if (!r.ok) opts.logger.warn({ status: r.status }, 'telegram refused a reply');
  };
  const loop = async () => {
    let backoffMs = 1_000;
    while (!stopped) {
      try {
        abort = new AbortController();
        const timer = setTimeout(() => abort.abort(), (pollSeconds + 10) * 1_000);
        const r = await fetch(`${base}/getUpdates`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ offset, timeout: pollSeconds, allowed_updates: ['message'] }),
          signal: abort.signal,
        }).finally(() => clearTimeout(timer));
        const body = UpdatesSchema.safeParse(await r.json().catch(() => null));
        if (!r.ok || !body.success || !body.data.ok) throw new Error(`getUpdates answered ${r.status}`);
        backoffMs = 1_000;
        for (const raw of body.data.result) {
          const u = UpdateSchema.safeParse(raw);
          if (!u.success) continue;
          offset = Math.max(offset, u.data.update_id + 1);
          const msg = u.data.message;
          if (!msg?.text) continue;
          if (String(msg.chat.id) !== opts.chatId) {
            opts.logger.warn({ chatId: String(msg.chat.id) }, 'telegram command from a chat that is not the configured one: ignored');
            continue;
          }
          const answer = await answerCommand(msg.text, opts.handlers).catch((err: unknown) => `failed: ${scrub((err as Error).message)}`);
          if (answer) await send(answer).catch((err: unknown) => opts.logger.warn({ err: scrub((err as Error).message) }, 'telegram reply failed'));
        }
      } catch (err) {
        if (stopped) break;
        opts.logger.warn({ err: scrub((err as Error).message) }, 'telegram getUpdates failed; retrying');
        await new Promise((res) => setTimeout(res, backoffMs));
        backoffMs = Math.min(backoffMs * 2, 30_000);
      }
    }
  };
  const running = loop();
  return async () => {
    stopped = true;
    abort.abort();
    await running;
  };
}
