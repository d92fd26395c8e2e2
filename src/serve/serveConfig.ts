import { readFileSync } from 'node:fs';
import { dirname, extname, isAbsolute, resolve } from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { DEVICES } from '../models/ort/device.js';
import { fieldPath } from '../util/fieldPath.js';
import { parsePublishTarget } from './publish/publishTarget.js';
import { resolveStreamShard } from './streamShard.js';
import { shardItems } from '../util/shard.js';

/**
 * `fer-stream serve` configuration: the server, and each stream with its own options. Validated once at
 * start; every message names the offending field. config/serve.example.yaml documents every key.
 */

const TOKEN_MIN = 8;

const sinkSpec = z.strictObject({
  format: z.enum(['csv', 'jsonl']),
  /** Appended to; relative to the config file. */
  path: z.string().min(1),
  /** Rotate when the file passes this size: `<path>.1` is the previous file, and so on. */
  maxBytes: z
    .number()
    .int()
    .positive()
    .default(100 * 1024 * 1024),
  /** Rotated files kept. */
  keep: z.number().int().min(0).default(5),
  landmarks: z.boolean().default(false),
});

const streamSpec = z.strictObject({
  /** Letters, digits, `-`, `_`, `.`: it appears in URLs, metric labels and file names. */
  name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'use 1-64 letters, digits, ".", "_" or "-"'),
  /** rtsp://, http(s)://, /dev/videoN, or a video file (played in real time). */
  source: z.string().min(1),
  /** File sources: start again at the end. */
  loop: z.boolean().default(false),
  detector: z.enum(['tiny', 'blazeface']).default('tiny'),
  /** Detector every this many frames; faces follow their landmarks in between. */
  detectEvery: z.number().int().positive().default(10),
  /**
   * true: a scheduled detection holds no frame up: the detector looks at frame t while t is labelled by its
   * landmarks, and its faces are associated on frame t+1. Lower latency on a loaded machine, worse tracking
   * (composites' IDF1 -0.03 to -0.04; docs/live.md), so off by default: frame t waits for it, as in file mode.
   */
  deferDetections: z.boolean().default(false),
  /**
   * Re-identification by appearance: a face that comes back after leaving keeps its ID, also across scene
   * cuts (`across-cuts`, the default), only within a shot (`within-shots`; `on` is its older name), or not
   * (`off`). The gallery of known faces is bounded (docs/tracking.md).
   */
  reid: z
    .enum(['off', 'within-shots', 'on', 'across-cuts'])
    .default('across-cuts')
    .transform((mode) => (mode === 'on' ? 'within-shots' : mode)),
  /** Ensemble manifest (JSON or YAML); default: the built-in default ensemble. */
  manifest: z.string().min(1).optional(),
  /** Trailing moving average of each face's probabilities over this many frames (1 = off). */
  smooth: z.number().int().positive().default(1),
  /**
   * Frames in flight (being labelled plus waiting) before the oldest waiting one is dropped. 3: a detector frame
   * that waits behind other streams' work then costs no frame (four streams on two cores: drops 6-13% at 2,
   * 1.5-6% at 3, p95 5-10 ms higher; docs/live.md).
   */
  maxInFlight: z.number().int().positive().default(3),
  /** No frame for this long: the source is stalled, killed and reconnected. */
  stallSeconds: z.number().positive().default(5),
  /** Network sources: socket timeout, and how long connecting may take. */
  timeoutSeconds: z.number().positive().default(10),
  reconnect: z
    .strictObject({
      initialSeconds: z.number().positive().default(0.5),
      maxSeconds: z.number().positive().default(30),
    })
    .refine((r) => r.initialSeconds <= r.maxSeconds, {
      message: 'initialSeconds must not be above maxSeconds (the backoff starts at one and doubles up to the other)',
      path: ['initialSeconds'],
    })
    .default({ initialSeconds: 0.5, maxSeconds: 30 }),
  /** Cameras (/dev/videoN): requested size and frame rate. */
  videoSize: z
    .string()
    .regex(/^\d+x\d+$/, 'expected WIDTHxHEIGHT, e.g. 640x480')
    .optional(),
  frameRate: z.number().positive().optional(),
  sinks: z.array(sinkSpec).default([]),
  /**
   * /streams/<name>/snapshot.jpg and preview.mjpeg: the newest labelled frame with its faces drawn. Default: on
   * when the daemon is bound to loopback, off otherwise (pictures of people leave the machine only when asked
   * for); `false`: no frame ever leaves the process.
   */
  preview: z.boolean().optional(),
  /** Preview pictures per second at most (kept and sent only this often). */
  previewFps: z.number().positive().max(30).default(5),
});

const serveSchema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(8080),
  /** Required when bound off loopback; also read from FER_STREAM_TOKEN. */
  token: z.string().min(TOKEN_MIN, `a token needs at least ${TOKEN_MIN} characters`).optional(),
  /** Browser origins allowed besides the daemon's own (e.g. https://monitor.example.org). */
  allowOrigins: z.array(z.string().url()).default([]),
  /**
   * Host names the daemon answers to besides this machine's own (localhost, 127.x.y.z, [::1]) when bound to
   * loopback (e.g. behind a reverse proxy that keeps the Host header); bound elsewhere, the only ones if given.
   */
  allowedHosts: z.array(z.string().regex(/^[A-Za-z0-9._-]+$|^[0-9a-fA-F:.]+$/, 'a host name or address, without port')).default([]),
  device: z.enum(DEVICES).default('auto'),
  workers: z.number().int().positive().default(2),
  maxClients: z.number().int().positive().default(100),
  /** Messages queued per WebSocket client; a slow client loses its oldest beyond this. */
  clientQueue: z.number().int().positive().default(256),
  /** A client still behind (dropping) after this long is closed. */
  slowClientCloseSeconds: z.number().positive().default(10),
  /** SIGTERM/SIGINT: exit within this long. */
  shutdownSeconds: z.number().positive().default(10),
  /**
   * Brokers every stream's messages also go to (the WebSocket JSON): mqtt://host:port/<prefix> or
   * nats://host:port/<prefix> (serve/publish/publishTarget.ts). A broker that is down never slows labelling.
   */
  publish: z
    .array(
      z.string().superRefine((url, ctx) => {
        try {
          parsePublishTarget(url);
        } catch (err) {
          ctx.addIssue({ code: z.ZodIssueCode.custom, message: (err as Error).message });
        }
      }),
    )
    .default([]),
  /** Messages each publisher holds while its broker is away or slow; the oldest beyond it are dropped. */
  publishQueue: z.number().int().positive().default(1000),
  /** Run only slice `i/N` of the streams (or `auto`: a StatefulSet pod's ordinal; serve/streamShard.ts). */
  shard: z.string().min(1).optional(),
  streams: z.array(streamSpec).min(1, 'at least one stream'),
});

export type SinkSpec = z.infer<typeof sinkSpec>;
export type StreamSpec = z.infer<typeof streamSpec>;
export type ServeConfig = z.infer<typeof serveSchema>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Validates a parsed config; relative paths resolve against `baseDir`. */
export function parseServeConfig(raw: unknown, origin: string, baseDir = process.cwd()): ServeConfig {
  const parsed = serveSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`${origin}: ${fieldPath(issue.path) || '(root)'}: ${issue.message}`);
  }
  const config = parsed.data;
  const names = new Set<string>();
  config.streams.forEach((s, i) => {
    if (names.has(s.name)) throw new ConfigError(`${origin}: streams[${i}].name: duplicate stream name "${s.name}"`);
    names.add(s.name);
    const local = (p: string) => (isAbsolute(p) || /^[a-z]+:\/\//i.test(p) ? p : resolve(baseDir, p));
    s.source = local(s.source);
    if (s.manifest) s.manifest = local(s.manifest);
    for (const sink of s.sinks) sink.path = local(sink.path);
  });
  for (const s of config.streams) s.preview ??= isLoopback(config.host);
  if (config.shard) {
    let shard;
    try {
      shard = resolveStreamShard(config.shard);
    } catch (err) {
      throw new ConfigError(`${origin}: ${(err as Error).message}`);
    }
    const all = config.streams.length;
    config.streams = shardItems(config.streams, shard);
    if (!config.streams.length)
      throw new ConfigError(`${origin}: shard ${shard.index}/${shard.count} has no streams (the list has ${all})`);
  }
  // The environment's token obeys the rule the flag and the file do.
  const envToken = process.env.FER_STREAM_TOKEN;
  if (config.token === undefined && envToken) {
    if (envToken.length < TOKEN_MIN) throw new ConfigError(`FER_STREAM_TOKEN: a token needs at least ${TOKEN_MIN} characters`);
    config.token = envToken;
  }
  if (!isLoopback(config.host) && !config.token) {
    throw new ConfigError(
      `${origin}: token: binding ${config.host} (off loopback) needs a token (--token, FER_STREAM_TOKEN or "token:"), at least 8 characters`,
    );
  }
  return config;
}

/** Reads and validates a YAML (or JSON) config file; `overrides` (from the command line) replace its keys. */
export function loadServeConfig(
  file: string,
  overrides: { host?: string; port?: number; token?: string; publish?: string[]; shard?: string } = {},
): ServeConfig {
  let raw: unknown;
  try {
    const text = readFileSync(file, 'utf8');
    raw = extname(file).toLowerCase() === '.json' ? JSON.parse(text) : YAML.parse(text);
  } catch (err) {
    throw new ConfigError(`${file}: cannot read (${String((err as Error).message).split('\n')[0]})`);
  }
  // Command-line values win over the file's, and are validated with it, once.
  const given = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const merged = raw && typeof raw === 'object' && !Array.isArray(raw) ? { ...raw, ...given } : raw;
  return parseServeConfig(merged, file, dirname(resolve(file)));
}

/** Addresses that only this machine reaches: no token needed there. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
