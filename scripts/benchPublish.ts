/**
 * Publishing measured on loopback with a real mosquitto (Debian's): latency from a frame leaving the decoder to
 * its MQTT message arriving at a subscriber (p50/p95), labelled frames/s with and without the publisher, and the
 * daemon's memory over a run whose broker is down the whole time (a bounded queue: it must stay flat).
 *   npm run bench:publish [-- --seconds 30] [--down-minutes 10]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { PACKAGE_ROOT } from '../src/util/paths.js';
import { freePort, rssMb, sleep, startServe } from '../test/helpers/serveProcess.js';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '30' }, 'down-minutes': { type: 'string', default: '10' } },
});
const seconds = Number(values.seconds);
const sample = join(PACKAGE_ROOT, 'samples', 'video.mp4');
/** `fer-stream serve` on the sample, looped. */
const serve = (extra: string[]) => startServe(['--input', sample, '--loop', ...extra]);

async function labelled(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(/^fer_stream_frames_labelled_total\{[^}]*\} (\S+)/m.exec(text)?.[1] ?? 0);
}

async function fps(port: number, forSeconds: number): Promise<number> {
  await sleep(5000); // models loaded, stream live
  const a = await labelled(port);
  await sleep(forSeconds * 1000);
  return ((await labelled(port)) - a) / forSeconds;
}

const stop = async (p: ChildProcess) => {
  const gone = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  await gone;
};

// 1. Without a publisher.
const plain = await serve([]);
const fpsPlain = await fps(plain.port, seconds);
await stop(plain.proc);

// 2. With mosquitto and a subscriber: latency frame -> MQTT message, and frames/s.
const mqttPort = await freePort();
const broker = spawn('/usr/sbin/mosquitto', ['-p', String(mqttPort)], { stdio: 'ignore' });
await sleep(500);
const published = await serve(['--publish', `mqtt://127.0.0.1:${mqttPort}/fer`]);
const latencies: number[] = [];
const sub = mqtt.connect(`mqtt://127.0.0.1:${mqttPort}`);
sub.on('connect', () => sub.subscribe('fer/main/frames'));
sub.on('message', (_t, payload) => {
  const m = JSON.parse(String(payload)) as { wallTimeMs: number; latencyMs: number };
  // latencyMs: frame decoded -> message made; then message made -> here.
  latencies.push(m.latencyMs + (Date.now() - m.wallTimeMs));
});
const fpsPublished = await fps(published.port, seconds);
await stop(published.proc);
await sub.endAsync();
broker.kill('SIGKILL');
latencies.sort((a, b) => a - b);
const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))].toFixed(1);
console.log(`\n| run | labelled frames/s | frame -> MQTT message p50 / p95 (ms) | messages |`);
console.log('|---|---|---|---|');
console.log(`| no publisher | ${fpsPlain.toFixed(1)} | - | - |`);
console.log(`| MQTT publisher, one subscriber | ${fpsPublished.toFixed(1)} | ${q(0.5)} / ${q(0.95)} | ${latencies.length} |`);

// 3. A broker that is down for the whole run: RSS every 30 s.
const deadPort = await freePort();
const down = await serve(['--publish', `mqtt://127.0.0.1:${deadPort}/fer`, '--publish', `nats://127.0.0.1:${deadPort}/fer`]);
const minutes = Number(values['down-minutes']);
const rss: string[] = [];
for (let t = 0; t <= minutes * 60; t += 30) {
  rss.push(`${t}s ${rssMb(down.proc.pid!).toFixed(0)}`);
  if (t < minutes * 60) await sleep(30_000);
}
const metrics = await (await fetch(`http://127.0.0.1:${down.port}/metrics`)).text();
const dropped = [...metrics.matchAll(/^fer_stream_publish_dropped_total\{publisher="([^"]+)"\} (\S+)/gm)].map((m) => `${m[1]} ${m[2]}`);
await stop(down.proc);
console.log(`\nbroker down for ${minutes} min (mqtt and nats): RSS MB ${rss.join(', ')}; dropped: ${dropped.join(', ')}`);
