/**
 * The order dead-man switch (docs/polymarket-venue.md §5.5 item 18; docs.polymarket.com trading
 * orders overview; clob-client-v2 @f3e1a05 `postHeartbeat`; ts-sdk bindings order-heartbeats.ts):
 * - `POST /v1/heartbeats {heartbeat_id}` answers the next id; each id is good for one beat (they rotate);
 * - the first beat of a session sends "" and starts it;
 * - a wrong or spent id gets 400 `{"error_msg":"Invalid Heartbeat ID","heartbeat_id":"<the right one>"}`;
 * - no valid beat for 10 s (plus up to 5 s of buffer) cancels all the key's open orders and ends the session.
 */
import { randomUUID } from 'node:crypto';

interface Session {
  expected: string;
  lastBeatMs: number;
  /** This session's buffer beyond 10 s (0..5 s), drawn when it starts. */
  bufferMs: number;
}

export type BeatResult = { ok: true; heartbeatId: string } | { ok: false; heartbeatId: string };

export class Heartbeats {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly timeoutMs: number,
    private readonly maxBufferMs: number,
    private readonly random: () => number,
  ) {}

  beat(owner: string, id: string, nowMs: number): BeatResult {
    const s = this.sessions.get(owner);
    if (!s) {
      if (id !== '') return { ok: false, heartbeatId: '' }; // no session: start one with ""
      const next = randomUUID();
      this.sessions.set(owner, { expected: next, lastBeatMs: nowMs, bufferMs: Math.floor(this.random() * this.maxBufferMs) });
      return { ok: true, heartbeatId: next };
    }
    if (id !== s.expected) return { ok: false, heartbeatId: s.expected };
    s.expected = randomUUID();
    s.lastBeatMs = nowMs;
    return { ok: true, heartbeatId: s.expected };
  }

  /** The legacy `POST /heartbeats`: keeps the session alive and resets the expected id to "". */
  legacy(owner: string, nowMs: number): void {
    this.sessions.delete(owner);
    this.sessions.set(owner, { expected: '', lastBeatMs: nowMs, bufferMs: Math.floor(this.random() * this.maxBufferMs) });
  }

  /** Owners whose session lapsed now (each is removed: its next beat starts over with ""). */
  expired(nowMs: number): string[] {
    const out: string[] = [];
    for (const [owner, s] of this.sessions) {
      if (nowMs - s.lastBeatMs > this.timeoutMs + s.bufferMs) {
        this.sessions.delete(owner);
        out.push(owner);
      }
    }
    return out;
  }

  /** Ends a session now (a fault switch: every beat "missed"). */
  drop(owner: string): void {
    this.sessions.delete(owner);
  }
}
