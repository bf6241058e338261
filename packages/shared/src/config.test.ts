import { describe, expect, it } from 'vitest';
import { loadBaseConfig } from './config.js';
import { PolybotError } from './errors.js';

describe('config loader', () => {
  it('defaults to the sim venue and points every API at it', () => {
    const cfg = loadBaseConfig({});
    expect(cfg.venue).toBe('sim');
    expect(cfg.queuePrefix).toBe('{polybot}');
    expect(cfg.gammaUrl).toBe('http://127.0.0.1:4010');
    expect(cfg.clobUrl).toBe('http://127.0.0.1:4010');
  });

  it('points paper at Polymarket', () => {
    const cfg = loadBaseConfig({ POLYBOT_VENUE: 'paper' });
    expect(cfg.gammaUrl).toBe('https://gamma-api.polymarket.com');
    expect(cfg.clobUrl).toBe('https://clob.polymarket.com');
  });

  it('names every bad variable in one error', () => {
    let caught: unknown;
    try {
      loadBaseConfig({ POLYBOT_VENUE: 'moon', SIM_VENUE_PORT: 'abc', LOG_LEVEL: 'loud' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(PolybotError);
    const msg = (caught as Error).message;
    expect(msg).toMatch(/POLYBOT_VENUE/);
    expect(msg).toMatch(/SIM_VENUE_PORT/);
    expect(msg).toMatch(/LOG_LEVEL/);
    expect(msg).toMatch(/"moon"/);
  });
});
