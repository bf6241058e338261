import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Recorder } from './recorder.js';

const logger = pino({ level: 'silent' });
const read = (file: string) =>
  gunzipSync(readFileSync(file))
    .toString()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

describe('Recorder', () => {
  it('writes one gzip NDJSON file per UTC day, and appends across restarts', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rec-'));
    const day1 = Date.parse('2026-11-24T23:59:59Z');
    const r = new Recorder(dir, logger);
    r.record('oracle', day1, { asset: 'BTC', price: 1 });
    r.record('trade', day1 + 2_000, { tokenId: '1', price: 0.5, size: 5, side: 'BUY' });
    await r.close();
    const again = new Recorder(dir, logger);
    again.record('resolution', day1 + 3_000, { conditionId: '0x1', winner: 'UP' });
    await again.close();
    expect(readdirSync(dir).sort()).toEqual(['2026-11-24.ndjson.gz', '2026-11-25.ndjson.gz']);
    expect(read(path.join(dir, '2026-11-24.ndjson.gz'))).toEqual([{ t: day1, type: 'oracle', asset: 'BTC', price: 1 }]);
    expect(read(path.join(dir, '2026-11-25.ndjson.gz')).map((x) => x.type)).toEqual(['trade', 'resolution']);
  });

  it('stops at its daily size bound', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rec-'));
    const r = new Recorder(dir, logger, 500);
    for (let i = 0; i < 100; i++) r.record('oracle', Date.parse('2026-11-24T10:00:00Z') + i, { asset: 'BTC', price: i });
    await r.close();
    const lines = read(path.join(dir, '2026-11-24.ndjson.gz'));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThan(100);
  });
});
