/**
 * docker-compose.yml against the Compose specification's JSON schema, kept in the repository
 * (docs/schemas/compose-spec.json, Apache-2.0, source in docs/schemas/SOURCES.md): no Docker engine
 * nor compose plugin needed. This is the check `docker compose config` would make of the file's shape.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const SCHEMA_FILE = path.join(ROOT, 'docs/schemas/compose-spec.json');
/** As recorded in docs/schemas/SOURCES.md: the file is the copy it describes. */
const SCHEMA_SHA256 = 'e82b395a9ac423febdba22c159b85d51d972706aea67d64799672a6ae3e56f47';

/** The schema predates ajv 8: drop its draft-04 `id`s and `$schema` (in memory), keep every rule. */
function modernise(node: unknown, parentKey = ''): unknown {
  if (Array.isArray(node)) return node.map((n) => modernise(n));
  if (node && typeof node === 'object') {
    return Object.fromEntries(
      Object.entries(node)
        .filter(([k, v]) => parentKey === 'properties' || !(k === '$schema' || (k === 'id' && typeof v === 'string')))
        .map(([k, v]) => [k, modernise(v, k)]),
    );
  }
  return node;
}

const schemaText = readFileSync(SCHEMA_FILE);
const schema = modernise(JSON.parse(schemaText.toString('utf8'))) as object;
const ajv = new Ajv2019({ strict: false, allErrors: true, logger: false });
const validate = ajv.compile(schema);
const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as Record<string, any>;

describe('docker-compose.yml', () => {
  it('uses the schema copy its SOURCES.md describes', () => {
    expect(createHash('sha256').update(schemaText).digest('hex')).toBe(SCHEMA_SHA256);
    expect(readFileSync(path.join(ROOT, 'docs/schemas/SOURCES.md'), 'utf8')).toContain(SCHEMA_SHA256);
    expect(readFileSync(path.join(ROOT, 'docs/schemas/LICENSE-compose-spec.txt'), 'utf8')).toMatch(/Apache License\s+Version 2\.0/);
  });

  it('is valid against the Compose specification', () => {
    const ok = validate(compose);
    expect(validate.errors ?? [], JSON.stringify(validate.errors)).toEqual([]);
    expect(ok).toBe(true);
  });

  it('would catch a mistake (the schema is really applied)', () => {
    const broken = structuredClone(compose);
    broken.services.risk.restart_policy = 'always';
    expect(validate(broken)).toBe(false);
    const badLogging = structuredClone(compose);
    badLogging.services.risk.logging = { driver: 'json-file', option: { 'max-size': '10m' } };
    expect(validate(badLogging)).toBe(false);
    const badPort = structuredClone(compose);
    badPort.services.dashboard.ports = [{ target: 'http' }];
    expect(validate(badPort)).toBe(false);
  });

  it('bounds every container’s log (json-file, max-size and max-file), so a chatty worker cannot fill the disk', () => {
    for (const [name, s] of Object.entries(compose.services as Record<string, { logging?: { driver?: string; options?: Record<string, string> } }>)) {
      expect(s.logging?.driver, name).toBe('json-file');
      expect(s.logging?.options?.['max-size'], name).toMatch(/^\d+m$/);
      expect(Number(s.logging?.options?.['max-file']), name).toBeGreaterThanOrEqual(2);
      expect(parseInt(s.logging!.options!['max-size']!, 10) * Number(s.logging!.options!['max-file']), `${name}: MB kept`).toBeLessThanOrEqual(200);
    }
  });

  it('runs every worker with a healthcheck, one execution, analysis scalable, data on a volume', () => {
    const s = compose.services;
    for (const kind of ['sim-venue', 'discovery', 'analysis', 'risk', 'execution', 'dashboard']) {
      expect(s[kind].command).toEqual([kind]);
      expect(s[kind].healthcheck.test.join(' ')).toMatch(/healthz/);
      expect(s[kind].restart).toBe('unless-stopped');
    }
    expect(s.analysis.container_name).toBeUndefined();
    expect(s.analysis.ports).toBeUndefined();
    expect(s.execution.deploy.replicas).toBe(1);
    expect(s.execution.volumes).toContain('polybot-data:/data');
  });
});
