/**
 * Records what the bot saw, for replay: one gzip NDJSON file per UTC day under
 * `$POLYBOT_DATA_DIR/recordings/`, bounded in size. Each line is
 * `{"t": <ms>, "type": "market"|"book"|"trade"|"oracle"|"resolution", ...}` (see README).
 */
import { createWriteStream, mkdirSync, statSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { createGzip, type Gzip } from 'node:zlib';
import type { Logger } from 'pino';

export type RecordType = 'market' | 'book' | 'trade' | 'oracle' | 'resolution';

export class Recorder {
  private day = '';
  private gzip: Gzip | null = null;
  private file: WriteStream | null = null;
  private written = 0;
  private full = false;

  constructor(
    private readonly dir: string,
    private readonly logger: Logger,
    private readonly maxBytesPerDay = 200 * 1024 * 1024,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  fileFor(day: string): string {
    return path.join(this.dir, `${day}.ndjson.gz`);
  }

  record(type: RecordType, t: number, payload: Record<string, unknown>): void {
    const day = new Date(t).toISOString().slice(0, 10);
    if (day !== this.day) this.rotate(day);
    if (this.full) return;
    const line = `${JSON.stringify({ t, type, ...payload })}\n`;
    this.written += line.length;
    if (this.written > this.maxBytesPerDay) {
      this.full = true;
      this.logger.warn({ day, maxBytesPerDay: this.maxBytesPerDay }, 'recording reached its daily size bound; paused until tomorrow');
      return;
    }
    this.gzip!.write(line);
  }

  private rotate(day: string): void {
    // The old day's file finishes closing in the background: the new day writes to another file.
    void this.closeStreams();
    this.day = day;
    const file = this.fileFor(day);
    let existing = 0;
    try {
      existing = statSync(file).size;
    } catch {
      /* new file */
    }
    // Appending another gzip member keeps the file one valid gzip stream of lines.
    this.file = createWriteStream(file, { flags: 'a' });
    this.gzip = createGzip();
    this.gzip.pipe(this.file);
    this.written = existing * 5; // compressed size underestimates; keep the bound conservative
    this.full = this.written > this.maxBytesPerDay;
  }

  private closeStreams(): Promise<void> {
    const gz = this.gzip;
    const f = this.file;
    this.gzip = null;
    this.file = null;
    if (!gz || !f) return Promise.resolve();
    return new Promise((resolve) => {
      f.once('close', () => resolve());
      gz.end();
    });
  }

  close(): Promise<void> {
    return this.closeStreams();
  }
}
