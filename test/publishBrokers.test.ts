import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import mqtt from 'mqtt';
import { connect as natsConnect, StringCodec } from 'nats';
import { parsePublishTarget, publishTopic } from '../src/serve/publish/publishTarget.js';
import { parseServeConfig } from '../src/serve/serveConfig.js';
import { PACKAGE_ROOT } from '../src/util/paths.js';
import { freePort, sleep, startServe, until, type Daemon } from './helpers/serveProcess.js';

const SAMPLE = join(PACKAGE_ROOT, 'samples', 'video.mp4');
const MOSQUITTO = '/usr/sbin/mosquitto';
const NATS = '/usr/sbin/nats-server';
const missing = (path: string, pkg: string) => !existsSync(path) && `${path} is absent (apt: ${pkg}; .ci/run installs it)`;

/** A real broker on `port`, started now; resolves once it accepts connections. */
async function startBroker(kind: 'mqtt' | 'nats', port: number): Promise<ChildProcess> {
  const proc =
    kind === 'mqtt'
      ? spawn(MOSQUITTO, ['-p', String(port)], { stdio: 'ignore' })
      : spawn(NATS, ['-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  await until(
    () =>
      new Promise<boolean>((resolve) => {
        const s = new Socket();
        s.once('connect', () => (s.destroy(), resolve(true)));
        s.once('error', () => resolve(false));
        s.connect(port, '127.0.0.1');
      }),
    10_000,
    `${kind} broker on ${port}`,
  );
  return proc;
}

const kill = async (p: ChildProcess) => {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const gone = new Promise((r) => p.once('exit', r));
  p.kill('SIGKILL');
  await gone;
};

async function metric(d: Daemon, name: string, label = ''): Promise<number> {
  const text = await (await fetch(`${d.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name) && l.includes(label));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('publish targets', () => {
  test('mqtt:// and nats:// URLs, their topics; everything else one clear line', () => {
    const m = parsePublishTarget('mqtt://user:pw@broker.local/site/fer');
    assert.deepEqual(m, {
      kind: 'mqtt',
      server: 'mqtt://user:pw@broker.local:1883',
      prefix: 'site/fer',
      label: 'mqtt://broker.local:1883/site/fer',
    });
    assert.equal(publishTopic(m, 'door.cam', 'frames'), 'site/fer/door.cam/frames');
    const n = parsePublishTarget('nats://127.0.0.1:4333/site/fer');
    assert.equal(publishTopic(n, 'door.cam', 'state'), 'site.fer.door_cam.state');
    assert.throws(() => parsePublishTarget('kafka://x/y'), /only mqtt:\/\/ and nats:\/\//);
    assert.throws(() => parsePublishTarget('mqtt://x'), /give a topic prefix/);
    assert.throws(() => parsePublishTarget('mqtt://x/a/+'), /the prefix may hold/);
    assert.throws(() => parsePublishTarget('mqtt://x/a/#'), /no query or fragment/);
    assert.throws(() => parsePublishTarget('nats://x/a.>'), /the prefix may hold/);
    assert.throws(
      () => parseServeConfig({ publish: ['mqtt://broker'], streams: [{ name: 'a', source: SAMPLE }] }, 'serve.yaml'),
      /serve\.yaml: publish\[0\]: .*give a topic prefix/,
    );
  });
});

describe('publishing to real brokers', { skip: missing(MOSQUITTO, 'mosquitto') || missing(NATS, 'nats-server') }, () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  test('MQTT and NATS get the WebSocket JSON; brokers killed and restarted mid-stream: labelling never pauses, publishing resumes; a NATS subscriber that never reads harms nothing', async () => {
    const mqttPort = await freePort();
    const natsPort = await freePort();
    let mosquitto = await startBroker('mqtt', mqttPort);
    let nats = await startBroker('nats', natsPort);
    cleanup.push(
      () => kill(mosquitto),
      () => kill(nats),
    );
    const d = await startServe([
      '--input',
      SAMPLE,
      '--loop',
      '--publish',
      `mqtt://127.0.0.1:${mqttPort}/fer`,
      '--publish',
      `nats://127.0.0.1:${natsPort}/fer`,
    ]);
    cleanup.push(async () => {
      d.proc.kill('SIGTERM');
      await d.exited;
    });

    // Subscribers: MQTT (frames and the retained state), NATS, and a raw NATS client that subscribes and never reads.
    const mqttFrames: Record<string, unknown>[] = [];
    const retained: Record<string, unknown>[] = [];
    const sub = mqtt.connect(`mqtt://127.0.0.1:${mqttPort}`, { reconnectPeriod: 200 });
    sub.on('error', () => undefined);
    sub.on('connect', () => sub.subscribe(['fer/main/frames', 'fer/main/state'], { qos: 1 }));
    sub.on('message', (topic, payload, packet) =>
      (topic.endsWith('/state') ? retained : mqttFrames).push({ ...JSON.parse(String(payload)), retain: packet.retain }),
    );
    cleanup.push(() => sub.endAsync());
    // The test's own NATS clients never reconnect: a client left redialling when the test ends can keep the
    // process alive (seen once in five runs). Each broker life gets a fresh client instead.
    const natsFrames: Record<string, unknown>[] = [];
    const sc = StringCodec();
    const subscribeNats = async () => {
      const nc = await natsConnect({ servers: `127.0.0.1:${natsPort}`, reconnect: false });
      void (async () => {
        for await (const m of nc.subscribe('fer.main.frames')) natsFrames.push(JSON.parse(sc.decode(m.data)));
      })().catch(() => undefined);
      cleanup.push(async () => {
        if (!nc.isClosed()) await nc.close();
        await nc.closed();
      });
    };
    await subscribeNats();
    const stuck = new Socket();
    stuck.connect(natsPort, '127.0.0.1', () => {
      stuck.write('CONNECT {"verbose":false,"pedantic":false}\r\nSUB fer.> 1\r\n');
      stuck.pause();
    });
    stuck.on('error', () => undefined);
    cleanup.push(async () => stuck.destroy());

    await until(() => mqttFrames.length >= 20 && natsFrames.length >= 20, 60_000, 'frames on both brokers');
    const frame = mqttFrames.at(-1)!;
    assert.equal(frame.type, 'frame');
    assert.equal(frame.stream, 'main');
    assert.ok(Array.isArray(frame.faces));
    assert.equal((natsFrames.at(-1) as { type: string }).type, 'frame');
    // A subscriber that comes later gets the stream's state at once (retained).
    const late = mqtt.connect(`mqtt://127.0.0.1:${mqttPort}`);
    const state = await new Promise<Record<string, unknown>>((resolve) => {
      late.on('connect', () => late.subscribe('fer/main/state'));
      late.on('message', (_t, payload, packet) => packet.retain && resolve(JSON.parse(String(payload))));
    });
    await late.endAsync();
    assert.equal(state.type, 'status');
    assert.equal(state.state, 'live');

    // Both brokers die. Labelling goes on (the frame counter keeps rising at its pace); messages queue, then drop.
    await kill(mosquitto);
    await kill(nats);
    const labelledBefore = await metric(d, 'fer_stream_frames_labelled_total');
    await sleep(4000);
    const labelledDuring = await metric(d, 'fer_stream_frames_labelled_total');
    assert.ok(labelledDuring - labelledBefore > 40, `labelled ${labelledDuring - labelledBefore} frames in 4 s with both brokers down`);
    assert.equal(await metric(d, 'fer_stream_publisher_connected', 'mqtt://'), 0);
    assert.equal(await metric(d, 'fer_stream_publisher_connected', 'nats://'), 0);

    // Back again: publishing resumes on both.
    const [m0, n0] = [mqttFrames.length, natsFrames.length];
    mosquitto = await startBroker('mqtt', mqttPort);
    nats = await startBroker('nats', natsPort);
    await subscribeNats();
    await until(() => mqttFrames.length > m0 + 10 && natsFrames.length > n0 + 10, 60_000, 'frames after the brokers came back');
    assert.equal(await metric(d, 'fer_stream_publisher_connected', 'mqtt://'), 1);
    assert.equal(await metric(d, 'fer_stream_publisher_connected', 'nats://'), 1);
    assert.ok((await metric(d, 'fer_stream_publish_messages_total', 'mqtt://')) > 0);
    assert.match(d.stderr(), /mqtt:\/\/127\.0\.0\.1:\d+\/fer: connection lost; reconnecting/);
    assert.match(d.stderr(), /nats:\/\/127\.0\.0\.1:\d+\/fer: connected/);
  });
});
