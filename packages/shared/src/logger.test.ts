/** The worker's log file (compose's /data/logs) stays within its bound, and every line survives rotation whole. */
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { boundedLogFile } from './logger.js';

const settle = () => new Promise((r) => setTimeout(r, 150));

describe('bounded log file', () => {
  it('rotates at its size into <name>.1.log … <name>.<keep>.log, drops what is older, and loses no line in between', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'polybot-logrot-'));
    const file = path.join(dir, 'execution-host.log');
    writeFileSync(file, `${JSON.stringify({ msg: 'from before', n: -1 })}\n`); // appended to, not truncated
    const dest = boundedLogFile(file, { maxBytes: 4_000, keep: 2 });
    const logger = pino({ base: null }, dest);
    for (let n = 0; n < 400; n++) {
      logger.info({ n, pad: 'x'.repeat(40) }, 'line');
      if (n % 50 === 49) await settle(); // as a worker writes: bursts, then the event loop turns
    }
    await settle();
    dest.flushSync();
    expect(readdirSync(dir).sort()).toEqual(['execution-host.1.log', 'execution-host.2.log', 'execution-host.log']);
    const files = ['execution-host.2.log', 'execution-host.1.log', 'execution-host.log'].map((f) => path.join(dir, f));
    // The bound, plus what was written while the new file was being opened (it went to the old one).
    for (const f of files) expect(statSync(f).size).toBeLessThan(2 * 4_000);
    // Every line whole and JSON, in order across the files, the newest in <name>.log.
    const ns = files.flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { n: number }).n),
    );
    expect(ns.at(-1)).toBe(399);
    for (let i = 1; i < ns.length; i++) expect(ns[i]).toBe(ns[i - 1]! + 1);
    expect(ns.length).toBeLessThan(401); // the oldest were dropped: the directory stays bounded
    expect(existsSync(path.join(dir, 'execution-host.3.log'))).toBe(false);
  });
});
