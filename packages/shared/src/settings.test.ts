/** The one config file: validation naming every bad field, env over file over default, redaction, docs in step. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { applyConfigFile, configTable, effectiveConfig, exampleConfigFile, exampleEnvFile, fieldEntries, resolveSettings } from './settings.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'polybot-settings-'));
function file(name: string, text: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}
function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected an error');
}

describe('config file', () => {
  it('gives the workers’ defaults with no file and no variable', () => {
    const r = resolveSettings({}, { cwd: dir });
    expect(r.file).toBeNull();
    expect(r.values['venue']).toBe('sim');
    expect(r.values['risk.maxOrderUsd']).toBe(25);
    expect(r.values['strategy.toxicity.vpinThreshold']).toBe(0.77);
    expect(Object.values(r.sources).every((s) => s === 'default')).toBe(true);
    expect(r.env).toEqual({});
  });

  it('reads YAML and JSON, and every variable overrides its field', () => {
    const yaml = file(
      'a.yaml',
      'venue: paper\nrisk:\n  maxOrderUsd: 10\n  toxicity: shrink\nstrategy:\n  toxicity:\n    vpinThreshold: 0.9\nsim:\n  assets: [btc, eth]\n',
    );
    const r = resolveSettings({ POLYBOT_CONFIG: yaml, RISK_MAX_ORDER_USD: '12.5' });
    expect(r.values['venue']).toBe('paper');
    expect(r.sources['venue']).toBe('file');
    expect(r.values['risk.maxOrderUsd']).toBe(12.5);
    expect(r.sources['risk.maxOrderUsd']).toBe('env');
    expect(r.values['risk.toxicity']).toBe('shrink');
    expect(r.values['strategy.toxicity.vpinThreshold']).toBe(0.9);
    expect(r.values['sim.assets']).toEqual(['BTC', 'ETH']);
    const json = file('b.json', JSON.stringify({ risk: { kellyFraction: 0.1 } }));
    expect(resolveSettings({ POLYBOT_CONFIG: json }).values['risk.kellyFraction']).toBe(0.1);
  });

  it('finds ./polybot.config.yaml when POLYBOT_CONFIG is unset', () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'polybot-cwd-'));
    writeFileSync(path.join(cwd, 'polybot.config.yaml'), 'logLevel: debug\n');
    expect(resolveSettings({}, { cwd }).values['logLevel']).toBe('debug');
  });

  it('names every bad field at once: unknown keys, wrong shapes, bad values from the file and from the environment', () => {
    const bad = file('bad.yaml', 'venue: moon\nrisk:\n  maxOrderUsd: -1\n  maxOrderUSD: 3\nstrategy: 5\nsim:\n  port: [1, 2]\n  windowSeconds: 90\n');
    const msg = errorOf(() => resolveSettings({ POLYBOT_CONFIG: bad, RISK_KELLY_FRACTION: '2', LOG_LEVEL: 'loud' }));
    expect(msg).toMatch(/venue \(POLYBOT_VENUE\).*"moon"/);
    expect(msg).toMatch(/risk\.maxOrderUsd \(RISK_MAX_ORDER_USD\)/);
    expect(msg).toMatch(/risk\.maxOrderUSD: unknown field/);
    expect(msg).toMatch(/strategy: expected a section/);
    expect(msg).toMatch(/sim\.windowSeconds \(SIM_WINDOW_SECONDS\): must be a multiple of 60/);
    expect(msg).toMatch(/risk\.kellyFraction \(RISK_KELLY_FRACTION\).*the environment/);
    expect(msg).toMatch(/logLevel \(LOG_LEVEL\)/);
    expect(msg.split('\n').length).toBeGreaterThanOrEqual(7);
  });

  it('refuses a key in the file and never echoes a secret', () => {
    const f = file('key.yaml', 'live:\n  privateKey: "0xabc"\ndashboard:\n  password: short\n  user: me\n');
    const msg = errorOf(() => resolveSettings({ POLYBOT_CONFIG: f }));
    expect(msg).toMatch(/live\.privateKey: may only be given in the environment/);
    expect(msg).toMatch(/dashboard\.password \(POLYBOT_DASHBOARD_PASSWORD\).*\[redacted\]/);
    expect(msg).not.toMatch(/short/);
    expect(msg).not.toMatch(/0xabc/);
  });

  it('checks the fields that go in pairs', () => {
    expect(errorOf(() => resolveSettings({ POLYBOT_TELEGRAM_BOT_TOKEN: '123456789:abcdef' }, { cwd: dir }))).toMatch(/alerts\.telegram\.chatId/);
  });

  it('copies the file into the environment under what the environment already says', () => {
    const f = file('apply.yaml', 'risk:\n  maxOrderUsd: 10\n  bankrollUsd: 500\nmetrics:\n  host: 0.0.0.0\n');
    const env: Record<string, string | undefined> = { POLYBOT_CONFIG: f, RISK_BANKROLL_USD: '700' };
    applyConfigFile(env);
    expect(env.RISK_MAX_ORDER_USD).toBe('10');
    expect(env.RISK_BANKROLL_USD).toBe('700');
    expect(env.POLYBOT_METRICS_HOST).toBe('0.0.0.0');
    expect(env.RISK_KELLY_FRACTION).toBeUndefined(); // defaults stay the workers' own
  });

  it('prints the effective configuration with secrets and URL passwords redacted', () => {
    const r = resolveSettings(
      {
        REDIS_URL: 'redis://user:hunter22@redis:6379',
        POLYBOT_TELEGRAM_BOT_TOKEN: '123456789:secret-token',
        POLYBOT_TELEGRAM_CHAT_ID: '42',
        POLYBOT_PRIVATE_KEY: 'f'.repeat(64),
      },
      { cwd: dir },
    );
    const text = JSON.stringify(effectiveConfig(r));
    expect(text).not.toMatch(/hunter22|secret-token|ffffffff/);
    expect(text).toMatch(/redis:\/\/user:\[redacted\]@redis:6379/);
    const cfg = effectiveConfig(r) as { alerts: { telegram: { botToken: string; chatId: string } }; live: { privateKey: string } };
    expect(cfg.alerts.telegram).toMatchObject({ botToken: '[redacted]', chatId: '42' });
    expect(cfg.live.privateKey).toBe('[redacted]');
  });

  it('ships the example file, .env.example and the README table in step with the fields', () => {
    expect(readFileSync(path.join(ROOT, 'polybot.config.example.yaml'), 'utf8')).toBe(exampleConfigFile());
    expect(readFileSync(path.join(ROOT, '.env.example'), 'utf8')).toBe(exampleEnvFile());
    expect(readFileSync(path.join(ROOT, 'README.md'), 'utf8')).toContain(configTable());
    // The example, as shipped (every field commented out), changes nothing.
    const r = resolveSettings({ POLYBOT_CONFIG: path.join(ROOT, 'polybot.config.example.yaml') });
    expect(Object.values(r.sources).every((s) => s === 'default')).toBe(true);
    // Uncommented, every field parses to its default.
    // (a value line follows its doc line, which ends with the variable's name)
    const lines = exampleConfigFile().split('\n');
    const uncommented = lines.map((l, i) => (i > 0 && /\([A-Z0-9_]+\)$/.test(lines[i - 1]!) ? l.replace(/^(\s*)# (\w+: .+)$/, '$1$2') : l)).join('\n');
    const u = resolveSettings({ POLYBOT_CONFIG: file('uncommented.yaml', uncommented) });
    for (const { key } of fieldEntries()) expect(u.values[key], key).toEqual(resolveSettings({}, { cwd: dir }).values[key]);
    expect(Object.values(u.sources).filter((s) => s === 'file').length).toBeGreaterThan(90);
  });
});
