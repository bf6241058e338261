import type { Logger } from 'pino';
import { z } from 'zod';
import type { OrderBook } from '@polybot/shared';
import { createHttpClient, type HttpClient } from './http.js';
import { ClobBookSchema, normaliseBook } from './polymarket/books.js';

export interface BookClient {
  /** Up and Down books in one `POST /books`; null for a token with no (valid) book. */
  getBooks(tokenIds: string[]): Promise<Map<string, OrderBook | null>>;
}

export function createBookClient(opts: { clobUrl: string; logger: Logger; http?: HttpClient }): BookClient {
  // /books is limited to 500 per 10 s by Cloudflare: stay below.
  const http = opts.http ?? createHttpClient({ baseURL: opts.clobUrl, logger: opts.logger, per10s: 450, timeoutMs: 3_000, maxAttempts: 3 });
  return {
    async getBooks(tokenIds) {
      const raw = await http.post(
        '/books',
        tokenIds.map((token_id) => ({ token_id })),
        z.array(z.unknown()),
      );
      const out = new Map<string, OrderBook | null>(tokenIds.map((t) => [t, null]));
      for (const item of raw) {
        const parsed = ClobBookSchema.safeParse(item);
        if (!parsed.success) {
          opts.logger.warn({ issues: parsed.error.issues.slice(0, 3) }, 'book failed its schema; ignored');
          continue;
        }
        if (out.has(parsed.data.asset_id)) out.set(parsed.data.asset_id, normaliseBook(parsed.data));
      }
      return out;
    },
  };
}
