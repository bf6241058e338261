/**
 * The one clock execution reads. Everything that needs "now" (the engine's jobs, the order
 * bucket, heartbeats, lease-free timing in tests) takes it from here, so a test can drive time.
 */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock a test moves by hand. */
export class ManualClock implements Clock {
  constructor(private ms: number) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
  set(ms: number): void {
    this.ms = ms;
  }
}
