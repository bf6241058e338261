import type { Logger } from 'pino';

type Closer = { name: string; close: () => Promise<unknown> | unknown };

/**
 * Graceful shutdown: on SIGINT/SIGTERM, closers run in reverse order of registration
 * (workers finish or release their job before connections close), bounded by a timeout.
 */
export class Shutdown {
  private readonly closers: Closer[] = [];
  private closing: Promise<void> | null = null;

  constructor(
    private readonly logger: Logger,
    private readonly timeoutMs = 15_000,
  ) {}

  add(name: string, close: Closer['close']): void {
    this.closers.push({ name, close });
  }

  listen(): this {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      process.once(sig, () => {
        this.logger.info({ signal: sig }, 'shutting down');
        void this.run().then(() => process.exit(0));
      });
    }
    return this;
  }

  run(): Promise<void> {
    this.closing ??= (async () => {
      const timer = setTimeout(() => {
        this.logger.error('shutdown timed out; exiting');
        process.exit(1);
      }, this.timeoutMs);
      timer.unref();
      for (const c of [...this.closers].reverse()) {
        try {
          await c.close();
        } catch (err) {
          this.logger.warn({ err, closer: c.name }, 'error while closing');
        }
      }
      clearTimeout(timer);
    })();
    return this.closing;
  }
}
