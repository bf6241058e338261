/**
 * Monitoring under compose: the alert rules and Prometheus config pass promtool, the metrics pass
 * `promtool check metrics` (but prom-client's own nodejs_active_*), no doubled prefix, the Grafana
 * dashboard asks for series that exist, and docker-compose.yml runs Prometheus and Grafana (its schema
 * check: packages/dashboard/src/compose.test.ts). Each running worker's /metrics: e2e.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { metrics, registry } from '@polybot/shared/metrics';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

describe('monitoring', () => {
  it('alert rules and the Prometheus config pass promtool', () => {
    expect(has('promtool'), 'promtool is needed (Debian: apt-get install prometheus; ./polybot test installs it)').toBe(true);
    const rules = spawnSync('promtool', ['check', 'rules', path.join(ROOT, 'monitoring/prometheus/alerts.yml')], { encoding: 'utf8' });
    expect(rules.status, rules.stdout + rules.stderr).toBe(0);
    expect(rules.stdout).toMatch(/SUCCESS: \d+ rules found/);
    const config = spawnSync('promtool', ['check', 'config', path.join(ROOT, 'monitoring/prometheus/prometheus.yml')], { encoding: 'utf8' });
    expect(config.status, config.stdout + config.stderr).toBe(0);
  });

  it('every metric passes promtool check metrics (prom-client’s nodejs_active_* aside), without a doubled prefix', async () => {
    metrics.tickToOrder.observe(0.05);
    metrics.queueDepth.set({ queue: 'markets' }, 1);
    const text = await registry.metrics();
    expect(text).toMatch(/^polybot_process_cpu_seconds_total /m);
    expect(text).not.toMatch(/polybot_process_process_/);
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    const problems = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.trim() && !/nodejs_active_/.test(l));
    expect(problems).toEqual([]);
  });

  it('the Grafana dashboard is provisioned and asks only for series polybot exposes', () => {
    const dash = JSON.parse(readFileSync(path.join(ROOT, 'monitoring/grafana/dashboards/polybot.json'), 'utf8')) as {
      panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
    };
    const titles = dash.panels.map((p) => p.title.toLowerCase()).join(' | ');
    for (const t of ['tick to order', 'queue depth', 'orders', 'fills', 'pnl', 'breaker', 'oracle age']) expect(titles).toContain(t);
    const known = new Set(Object.values(metrics).map((m) => (m as unknown as { name: string }).name));
    for (const p of dash.panels)
      for (const t of p.targets)
        for (const name of t.expr.match(/polybot_[a-z0-9_]+/g) ?? [])
          expect(known.has(name.replace(/_(bucket|sum|count)$/, '')), `${p.title}: ${name}`).toBe(true);
    const ds = parse(readFileSync(path.join(ROOT, 'monitoring/grafana/provisioning/datasources/prometheus.yml'), 'utf8')) as {
      datasources: Array<{ uid: string; url: string }>;
    };
    expect(ds.datasources[0]).toMatchObject({ uid: 'prometheus', url: 'http://prometheus:9090' });
  });

  it('docker-compose.yml runs Prometheus and Grafana, binds metrics to 0.0.0.0, reads .env', () => {
    const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, any> };
    expect(compose.services.prometheus.volumes.join(' ')).toMatch(/alerts\.yml/);
    expect(compose.services.grafana.volumes.join(' ')).toMatch(/dashboards/);
    for (const kind of ['discovery', 'analysis', 'risk', 'execution', 'dashboard']) {
      expect(compose.services[kind].environment.POLYBOT_METRICS_HOST).toBe('0.0.0.0');
      expect(compose.services[kind].env_file).toBeDefined();
      expect(compose.services[kind].environment.POLYBOT_LOG_FILE).toBe('true');
    }
    // Its validity against the Compose specification: packages/dashboard/src/compose.test.ts (the
    // spec's JSON schema, kept in docs/schemas), which needs neither an engine nor the compose plugin.
  });
});
