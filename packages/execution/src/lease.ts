import type { RedisClient } from '@polybot/shared/redis';

const RENEW_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

/** A single-owner lease in Redis: two execution processes never write orders at once. */
export function createLease(redis: RedisClient, key: string, owner: string, ttlMs: number) {
  return {
    acquire: async () => (await redis.set(key, owner, 'PX', ttlMs, 'NX')) === 'OK',
    renew: async () => (await redis.eval(RENEW_LUA, 1, key, owner, String(ttlMs))) === 1,
    release: async () => void (await redis.eval(RELEASE_LUA, 1, key, owner)),
    holder: () => redis.get(key),
  };
}
