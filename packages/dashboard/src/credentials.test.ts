import { mkdtempSync, readFileSync, statSync, chmodSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CREDENTIALS_FILE, dashboardCredentials } from './credentials.js';

describe('dashboard credentials', () => {
  it('without configured ones, generates a password once, stores it mode 0600, and reads the same one back', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'polybot-creds-'));
    const first = dashboardCredentials(dir, null);
    expect(first.generated).toBe(true);
    expect(first.credentials.password.length).toBeGreaterThanOrEqual(24);
    const file = path.join(dir, CREDENTIALS_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = dashboardCredentials(dir, null);
    expect(again).toEqual({ credentials: first.credentials, generated: false, file });
    expect(dashboardCredentials(mkdtempSync(path.join(os.tmpdir(), 'polybot-creds-')), null).credentials.password).not.toBe(first.credentials.password);
    // Loosened permissions are tightened again; configured credentials win and write nothing.
    chmodSync(file, 0o644);
    dashboardCredentials(dir, null);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(dashboardCredentials(dir, { user: 'me', password: 'configured-password' })).toEqual({
      credentials: { user: 'me', password: 'configured-password' },
      generated: false,
      file: null,
    });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(first.credentials);
  });

  it('a file that is not a credentials file stops the dashboard instead of opening it', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'polybot-creds-'));
    writeFileSync(path.join(dir, CREDENTIALS_FILE), '{"user":"x","password":"short"}', { mode: 0o600 });
    expect(() => dashboardCredentials(dir, null)).toThrow(/not a dashboard credentials file/);
  });
});
