import { liveSourceKind } from '../video/liveInput.js';
import { probeVideo } from '../video/probeVideo.js';
import { LiveDaemon } from '../serve/liveDaemon.js';
import { loadServeConfig, parseServeConfig, type ServeConfig } from '../serve/serveConfig.js';
import { parseOptions, UsageError } from './parseOptions.js';
import { deviceArg } from './videoSettings.js';

export const SERVE_HELP = `fer-stream serve — live expression labels over WebSocket, with a dashboard

Usage:
  fer-stream serve --input <rtsp://... | http(s)://... | /dev/videoN | video file> [options]
  fer-stream serve --config <serve.yaml> [--host <addr>] [--port <n>] [--token <t>]

Options:
  --input <source>        one stream, named "main"; a file plays in real time (--loop: for ever)
  --config <file>         many streams, each with its own options (config/serve.example.yaml)
  --host <addr>           bind address (default 127.0.0.1; any other needs a token)
  --port <n>              port (default 8080; 0 picks a free one)
  --token <t>             required from clients (Authorization: Bearer <t>, or ?token=<t>); also
                          FER_STREAM_TOKEN
  --loop                  file input: start again at the end
  --detector tiny|blazeface, --detect-every <n>, --manifest <file>, --smooth <frames>
                          as for files; --smooth is a trailing average here (the future is unknown)
  --max-in-flight <n>     frames being labelled or waiting (default 3); when labelling falls behind,
                          the newest frame wins and older ones are dropped and counted
  --stall-seconds <s>     no frame for this long: restart the source (default 5)
  --device, --workers     as for files
  --shard i/N | auto      with --config: run streams i, i+N, ... of the list (auto: a StatefulSet pod's
                          ordinal from its host name, N from FER_STREAM_SHARDS; deploy/k8s)
  --publish <url>         also send every message to a broker (repeatable; config: publish:):
                          mqtt://host:port/<prefix>: topics <prefix>/<stream>/frames (QoS 0), .../status
                          (QoS 1), retained .../state; nats://host:port/<prefix>: <prefix>.<stream>.frames ...
                          A broker that is down never slows labelling (bounded queue, drops counted)

Endpoints: / (dashboard), /ws[?stream=<name>][&landmarks=1], /healthz, /readyz, /metrics.
SIGTERM/SIGINT stop the sources, flush the files, close the clients (1001) and exit 0; a second one exits at once.`;

/** Runs the daemon until a signal; resolves with the exit code. */
export async function serve(argv: string[]): Promise<number> {
  const v = parseOptions(argv, {
    input: { type: 'string', short: 'i' },
    config: { type: 'string', short: 'c' },
    host: { type: 'string' },
    port: { type: 'string' },
    token: { type: 'string' },
    loop: { type: 'boolean', default: false },
    detector: { type: 'string' },
    'detect-every': { type: 'string' },
    manifest: { type: 'string', short: 'm' },
    smooth: { type: 'string' },
    'max-in-flight': { type: 'string' },
    'stall-seconds': { type: 'string' },
    device: { type: 'string' },
    workers: { type: 'string' },
    publish: { type: 'string', multiple: true },
    shard: { type: 'string' },
    quiet: { type: 'boolean', short: 'q', default: false },
  });
  if (Boolean(v.input) === Boolean(v.config)) throw new UsageError('serve needs --input <source> or --config <file> (one of them)');
  if (v.shard !== undefined && !v.config) throw new UsageError("--shard splits a config file's streams: give --config");
  const num = (name: string, value: string | undefined) => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name}: expected a non-negative number, got "${value}"`);
    return n;
  };
  let config: ServeConfig;
  if (v.config) {
    for (const flag of ['loop', 'detector', 'detect-every', 'manifest', 'smooth', 'max-in-flight', 'stall-seconds'] as const) {
      if (v[flag] !== undefined && v[flag] !== false) throw new UsageError(`--${flag} is set per stream in the config file`);
    }
    config = loadServeConfig(v.config, { host: v.host, port: num('port', v.port), token: v.token, publish: v.publish, shard: v.shard });
  } else {
    const input = v.input!;
    // A file input is checked now, with the message file mode gives (missing, empty, not a video).
    if (liveSourceKind(input) === 'file') await probeVideo(input);
    const raw = {
      host: v.host,
      port: num('port', v.port),
      token: v.token,
      device: v.device === undefined ? undefined : deviceArg(v.device),
      workers: num('workers', v.workers),
      publish: v.publish,
      streams: [
        {
          name: 'main',
          source: input,
          loop: v.loop,
          detector: v.detector,
          detectEvery: num('detect-every', v['detect-every']),
          manifest: v.manifest,
          smooth: num('smooth', v.smooth),
          maxInFlight: num('max-in-flight', v['max-in-flight']),
          stallSeconds: num('stall-seconds', v['stall-seconds']),
        },
      ],
    };
    config = parseServeConfig(JSON.parse(JSON.stringify(raw)), 'command line');
  }
  const log = (line: string) => v.quiet || process.stderr.write(`fer-stream: ${line}\n`);
  const daemon = new LiveDaemon(config, log);
  let signalled = false;
  const done = new Promise<number>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      if (signalled) {
        process.stderr.write(`fer-stream: ${signal} again, exiting now\n`);
        // At once: no exit handlers, which would wait on (and, mid-run, abort in) the inference threads.
        process.kill(process.pid, 'SIGKILL');
      }
      signalled = true;
      log(`${signal}: shutting down (within ${config.shutdownSeconds} s)`);
      const deadline = setTimeout(() => {
        process.stderr.write('fer-stream: shutdown deadline passed, exiting\n');
        process.exit(1);
      }, config.shutdownSeconds * 1000);
      deadline.unref();
      daemon.close().then(
        () => resolve(0),
        (err: Error) => {
          process.stderr.write(`fer-stream: shutdown: ${err.message}\n`);
          resolve(1);
        },
      );
    };
    // In place of bin/fer-stream.js's early handlers, which exit 0 while nothing has started yet.
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.removeAllListeners(signal);
      process.on(signal, onSignal);
    }
  });
  try {
    const { host, port } = await daemon.start();
    // Always printed, --quiet or not: it says where to connect (and port 0 chose the port).
    process.stderr.write(
      `fer-stream: serving ${config.streams.length} stream(s) (${config.streams.map((s) => s.name).join(', ')}) on http://${host.includes(':') ? `[${host}]` : host}:${port}/ (ws: /ws, metrics: /metrics)\n`,
    );
  } catch (err) {
    await daemon.close();
    throw err;
  }
  return done;
}
