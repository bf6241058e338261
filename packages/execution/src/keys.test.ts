import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { scrubSecrets } from '@polybot/shared/logger';
import { LIVE_CONFIRMATION, resolveSigningKey } from './keys.js';

const KEY = '59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
const dir = () => mkdtempSync(path.join(os.tmpdir(), 'polybot-keys-'));
const messageOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected a refusal');
};

describe('resolveSigningKey', () => {
  it('refuses live without the exact confirmation, naming POLYBOT_LIVE', () => {
    for (const live of [undefined, 'yes', 'true', `${LIVE_CONFIRMATION} `.repeat(2)]) {
      const msg = messageOf(() => resolveSigningKey('live', { POLYBOT_LIVE: live, POLYBOT_PRIVATE_KEY: KEY }, dir()));
      expect(msg).toMatch(/POLYBOT_LIVE/);
      expect(msg).not.toContain(KEY);
    }
  });

  it('refuses live without a key, and a malformed key without echoing it', () => {
    expect(messageOf(() => resolveSigningKey('live', { POLYBOT_LIVE: LIVE_CONFIRMATION }, dir()))).toMatch(/POLYBOT_PRIVATE_KEY/);
    const bad = `${KEY}zz`;
    const msg = messageOf(() => resolveSigningKey('live', { POLYBOT_LIVE: LIVE_CONFIRMATION, POLYBOT_PRIVATE_KEY: bad }, dir()));
    expect(msg).not.toContain(KEY);
  });

  it('reads the key from a file, registers it for scrubbing, and wants a funder for proxy wallets', () => {
    const d = dir();
    const file = path.join(d, 'key');
    writeFileSync(file, `0x${KEY}\n`);
    const env = { POLYBOT_LIVE: LIVE_CONFIRMATION, POLYBOT_PRIVATE_KEY_FILE: file };
    expect(resolveSigningKey('live', env, d)).toBe(`0x${KEY}`);
    expect(scrubSecrets(`oops ${KEY} and 0x${KEY}`)).not.toContain(KEY);
    expect(messageOf(() => resolveSigningKey('live', { ...env, POLYBOT_SIGNATURE_TYPE: '1' }, d))).toMatch(/POLYBOT_FUNDER_ADDRESS/);
    expect(resolveSigningKey('live', { ...env, POLYBOT_SIGNATURE_TYPE: '1', POLYBOT_FUNDER_ADDRESS: `0x${'1'.repeat(40)}` }, d)).toBe(`0x${KEY}`);
  });

  it('makes one throwaway sim key and keeps it; a damaged key file is refused without quoting it', () => {
    const d = dir();
    const a = resolveSigningKey('sim', {}, d);
    expect(resolveSigningKey('sim', {}, d)).toBe(a);
    const file = path.join(d, 'sim-key.json');
    const body = readFileSync(file, 'utf8').slice(0, -3);
    writeFileSync(file, body);
    const msg = messageOf(() => resolveSigningKey('sim', {}, d));
    expect(msg).toMatch(/sim-key\.json/);
    expect(msg).not.toContain(a.slice(2, 20));
  });
});
