import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import YAML from 'yaml';
import { LiveMetrics } from '../src/serve/liveMetrics.js';
import { parseServeConfig } from '../src/serve/serveConfig.js';
import { resolveStreamShard } from '../src/serve/streamShard.js';
import { PACKAGE_ROOT } from '../src/util/paths.js';

const deploy = (...p: string[]) => join(PACKAGE_ROOT, 'deploy', ...p);

/** Metric names (fer_stream_...) an expression uses, histogram suffixes folded into the histogram's name. */
function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/fer_stream_[a-z0-9_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, ''));
}

describe('deploy/: the live StatefulSet, its alerts and its dashboard', () => {
  test('every metric the alerts and the Grafana dashboard use is one the daemon exports', async () => {
    const known = new Set((await new LiveMetrics().registry.getMetricsAsJSON()).map((m) => m.name));
    const alerts = YAML.parse(readFileSync(deploy('prometheus', 'alerts.yaml'), 'utf8')) as {
      groups: { rules: { alert: string; expr: string }[] }[];
    };
    const rules = alerts.groups.flatMap((g) => g.rules);
    assert.ok(rules.length >= 4);
    for (const r of rules)
      for (const name of metricsIn(r.expr)) assert.ok(known.has(name), `${r.alert}: ${name} is not a metric of the daemon`);
    const dashboard = JSON.parse(readFileSync(deploy('grafana', 'fer-stream.json'), 'utf8')) as {
      panels: { title: string; targets: { expr: string }[] }[];
    };
    for (const p of dashboard.panels)
      for (const t of p.targets) {
        assert.ok(metricsIn(t.expr).length, `${p.title}: no fer-stream metric`);
        for (const name of metricsIn(t.expr)) assert.ok(known.has(name), `${p.title}: ${name} is not a metric of the daemon`);
      }
    for (const name of [
      'fer_stream_stream_up',
      'fer_stream_reconnects_total',
      'fer_stream_frames_dropped_total',
      'fer_stream_frame_to_message_latency_seconds',
    ])
      assert.ok(
        rules.some((r) => metricsIn(r.expr).includes(name)),
        `no alert on ${name}`,
      );
  });

  test("the StatefulSet's camera list is a valid serve config, and each pod's --shard auto takes its own slice", () => {
    const docs = YAML.parseAllDocuments(readFileSync(deploy('k8s', 'fer-stream-live.yaml'), 'utf8')).map((d) => d.toJS());
    const cameras = docs.find((d) => d.kind === 'ConfigMap');
    const set = docs.find((d) => d.kind === 'StatefulSet');
    const replicas = set.spec.replicas as number;
    const env = set.spec.template.spec.containers[0].env as { name: string; value?: string }[];
    assert.equal(Number(env.find((e) => e.name === 'FER_STREAM_SHARDS')!.value), replicas, 'FER_STREAM_SHARDS = replicas');
    const raw = YAML.parse(cameras.data['serve.yaml']);
    const all = parseServeConfig({ ...raw, token: 'a-token-for-the-test' }, 'serve.yaml').streams.map((s) => s.name);
    const seen: string[] = [];
    for (let i = 0; i < replicas; i++) {
      const saved = { HOSTNAME: process.env.HOSTNAME, FER_STREAM_SHARDS: process.env.FER_STREAM_SHARDS };
      Object.assign(process.env, { HOSTNAME: `fer-stream-live-${i}`, FER_STREAM_SHARDS: String(replicas) });
      try {
        seen.push(...parseServeConfig({ ...raw, token: 'a-token-for-the-test', shard: 'auto' }, 'serve.yaml').streams.map((s) => s.name));
      } finally {
        for (const [k, v] of Object.entries(saved)) v === undefined ? delete process.env[k] : (process.env[k] = v);
      }
    }
    assert.deepEqual([...seen].sort(), [...all].sort(), 'every camera in exactly one pod');
  });

  test('shards: i/N, auto from a pod name; one clear line otherwise', () => {
    assert.deepEqual(resolveStreamShard('1/3'), { index: 1, count: 3 });
    assert.deepEqual(resolveStreamShard('auto', { HOSTNAME: 'fer-stream-live-2', FER_STREAM_SHARDS: '3' }), { index: 2, count: 3 });
    assert.throws(() => resolveStreamShard('auto', { HOSTNAME: 'laptop', FER_STREAM_SHARDS: '3' }), /does not end in -<ordinal>/);
    assert.throws(
      () => resolveStreamShard('auto', { HOSTNAME: 'fer-stream-live-3', FER_STREAM_SHARDS: '3' }),
      /shard 3 of 3 is not a shard/,
    );
    assert.throws(() => resolveStreamShard('3'), /expected i\/N/);
    assert.throws(
      () => parseServeConfig({ shard: '2/3', streams: [{ name: 'a', source: 'rtsp://x/a' }] }, 'serve.yaml'),
      /serve\.yaml: shard 2\/3 has no streams \(the list has 1\)/,
    );
  });
});
