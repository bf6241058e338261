/**
 * The lint rules that encode the architecture (eslint.config.js) catch what they are for: each case
 * lints a line placed in a real file of the repository and expects the boundary rule to fire, and
 * the same file without the line to pass the boundary rule.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const eslint = new ESLint({ cwd: ROOT });

async function boundaryErrors(file: string, line: string): Promise<string[]> {
  const abs = path.join(ROOT, file);
  const text = `${line}\n${readFileSync(abs, 'utf8')}`;
  const [res] = await eslint.lintText(text, { filePath: abs });
  return res!.messages.filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports').map((m) => m.message);
}

describe('architecture rules (pnpm lint)', () => {
  const cases: Array<[string, string, string, RegExp]> = [
    ['a core that imports bullmq', 'packages/risk/src/kellySizer.ts', "import { Queue } from 'bullmq'; export const q = Queue;", /pure core imports no bullmq/],
    [
      'a core that imports ioredis, even for types',
      'packages/strategy/src/evCalculator.ts',
      "import type { Redis } from 'ioredis'; export type R = Redis;",
      /pure core imports no ioredis/,
    ],
    ['a core that imports axios', 'packages/ingestion/src/discovery.ts', "import axios from 'axios'; export const a = axios;", /pure core imports no axios/],
    [
      'a core that imports node:http',
      'packages/execution/src/pairs.ts',
      "import { createServer } from 'node:http'; export const s = createServer;",
      /pure core imports no node:http/,
    ],
    [
      'a core that reaches an adapter subpath',
      'packages/risk/src/decide.ts',
      "import { createQueues } from '@polybot/shared/queues'; export const c = createQueues;",
      /adapter subpath/,
    ],
    [
      'a core that uses an adapter file of its own package',
      'packages/ingestion/src/discovery.ts',
      "import { createBookCache } from './bookCache.js'; export const c = createBookCache;",
      /types only/,
    ],
    [
      'anything that imports a worker',
      'packages/dashboard/src/server.ts',
      "import { runWorker } from '@polybot/execution/worker'; export const r = runWorker;",
      /nothing imports a worker/,
    ],
    [
      'the sim venue importing the bot',
      'packages/sim-venue/src/exchange.ts',
      "import { roundToStep } from '@polybot/shared'; export const r = roundToStep;",
      /imports nothing of the bot/,
    ],
    [
      'strategy importing risk',
      'packages/strategy/src/worker.ts',
      "import { KellySizer } from '@polybot/risk'; export const k = KellySizer;",
      /strategy imports no risk/,
    ],
    [
      'a deep import into another package',
      'packages/backtest/src/engine.ts',
      "import { OrderManager } from '@polybot/execution/src/orderManager'; export const o = OrderManager;",
      /no deep imports/,
    ],
  ];
  it.each(cases)('rejects %s', async (_name, file, line, message) => {
    const errors = await boundaryErrors(file, line);
    expect(errors.some((e) => message.test(e))).toBe(true);
  });

  it('accepts the same files as they are, and adapters using infrastructure', async () => {
    for (const file of [
      'packages/risk/src/kellySizer.ts',
      'packages/strategy/src/evCalculator.ts',
      'packages/ingestion/src/discovery.ts',
      'packages/risk/src/worker.ts',
    ]) {
      expect(await boundaryErrors(file, '')).toEqual([]);
    }
    expect(await boundaryErrors('packages/risk/src/worker.ts', "import { Queue } from 'bullmq'; export const q = Queue;")).toEqual([]);
  });
}, 120_000);
