import { loadDetector } from '../detection/loadDetector.js';
import type { Detector } from '../detection/detector.js';
import { DEFAULT_MANIFEST } from '../models/defaultManifest.js';
import { Ensemble } from '../models/ensemble.js';
import { FaceDescriber } from '../models/faceDescriber.js';
import { loadManifest } from '../models/manifest.js';
import { placementLine } from '../models/ort/cpuPlacement.js';
import { InferencePool } from '../models/ort/inferencePool.js';
import { DetectionTurns } from '../pipeline/detectionTurns.js';
import { LiveFileSink } from './liveFileSinks.js';
import { LiveMetrics } from './liveMetrics.js';
import { frameMessage, type StatusMessage } from './liveMessages.js';
import { LiveServer } from './liveServer.js';
import { checkSinks } from './sinkSafety.js';
import type { ServeConfig } from './serveConfig.js';
import { StreamRunner, type PublishedFrame } from './streamRunner.js';
import { createPublisher } from './publish/createPublisher.js';
import type { Publisher } from './publish/publisher.js';
import { parsePublishTarget } from './publish/publishTarget.js';

/**
 * The live daemon: one inference pool, the models each stream names (loaded once, shared), one
 * StreamRunner per stream, file sinks, broker publishers and the HTTP/WebSocket server. `close()` shuts down in
 * order: stop the sources (no ffmpeg left), flush and close the files and the brokers, close the clients with
 * 1001, then the pool.
 */
export class LiveDaemon {
  readonly metrics = new LiveMetrics();
  private readonly pool: InferencePool;
  private readonly runners: StreamRunner[] = [];
  private readonly sinks = new Map<string, LiveFileSink[]>();
  private readonly publishers: Publisher[] = [];
  private readonly statuses = new Map<string, StatusMessage>();
  private server?: LiveServer;
  private ready = false;
  /** The execution provider of each loaded model, for /readyz (what `device` became). */
  private readonly providers: Record<string, string> = {};
  private queueGauge?: NodeJS.Timeout;
  private closing?: Promise<void>;

  constructor(
    private readonly config: ServeConfig,
    private readonly log: (line: string) => void,
  ) {
    this.pool = new InferencePool({ workers: config.workers, maxQueue: 8 * config.streams.length });
  }

  /** Binds the server first (so /healthz answers while models load), then loads models and starts streams. */
  async start(): Promise<{ host: string; port: number }> {
    checkSinks(this.config);
    this.server = new LiveServer(this.config, this.metrics, {
      // Not ready while a crashed inference worker is being replaced (or could not be).
      ready: () => this.ready && this.pool.healthy,
      inference: () => ({
        healthy: this.pool.healthy,
        workerRestarts: this.pool.restarts.count,
        lastCrash: this.pool.restarts.lastError,
        providers: this.providers,
      }),
      streams: () =>
        this.runners.map((r) => ({ name: r.name, state: r.state, fps: r.fps, width: r.width, height: r.height, counts: { ...r.counts } })),
      statuses: () => [...this.statuses.values()],
      preview: (name) => {
        const runner = this.runners.find((r) => r.name === name);
        if (runner) return runner.preview ?? 'off';
        const spec = this.config.streams.find((s) => s.name === name);
        return spec ? (spec.preview ? 'starting' : 'off') : null;
      },
    });
    const address = await this.server.listen();
    for (const url of this.config.publish) {
      const target = parsePublishTarget(url);
      const labels = { publisher: target.label };
      this.metrics.publisherUp.set(labels, 0);
      this.publishers.push(
        createPublisher(
          target,
          {
            log: this.log,
            sent: (n) => this.metrics.published.inc(labels, n),
            dropped: (n) => this.metrics.publishDropped.inc(labels, n),
            connected: (up) => this.metrics.publisherUp.set(labels, up ? 1 : 0),
          },
          this.config.publishQueue,
        ),
      );
    }
    const ensembles = new Map<string, Promise<Ensemble>>();
    const detectors = new Map<string, Promise<Detector>>();
    const ensembleFor = (manifest = DEFAULT_MANIFEST) => {
      if (!ensembles.has(manifest)) ensembles.set(manifest, Ensemble.load(loadManifest(manifest), this.pool, this.config.device));
      return ensembles.get(manifest)!;
    };
    const detectorFor = (kind: 'tiny' | 'blazeface') => {
      if (!detectors.has(kind)) {
        detectors.set(kind, loadDetector(this.pool, this.config.device, kind));
      }
      return detectors.get(kind)!;
    };
    let describer: Promise<FaceDescriber> | undefined;
    const describerFor = (reid: string) => (reid === 'off' ? undefined : (describer ??= FaceDescriber.load(this.pool, this.config.device)));
    // Every stream's labeler runs on this daemon's one pool: their scheduled detections take turns.
    const turns = new DetectionTurns();
    for (const spec of this.config.streams) {
      const [ensemble, detector, faceDescriber] = await Promise.all([
        ensembleFor(spec.manifest),
        detectorFor(spec.detector),
        describerFor(spec.reid),
      ]);
      Object.assign(this.providers, ensemble.providers);
      this.sinks.set(
        spec.name,
        spec.sinks.map((s) => new LiveFileSink(spec.name, s)),
      );
      this.runners.push(
        new StreamRunner(spec, {
          ensemble,
          detector,
          describer: faceDescriber,
          metrics: this.metrics,
          turns,
          onFrame: (f) => this.onFrame(f),
          onStatus: (s) => this.onStatus(s),
          log: this.log,
        }),
      );
    }
    const placement = placementLine(this.pool.placements);
    if (placement) this.log(placement);
    this.ready = true;
    for (const r of this.runners) r.start();
    this.queueGauge = setInterval(() => this.metrics.inferenceQueue.set(this.pool.pending), 500);
    this.queueGauge.unref();
    return address;
  }

  private onFrame({ stream, record, faces, mainTrackId }: PublishedFrame): void {
    const now = Date.now();
    const message = frameMessage(stream, record, faces, mainTrackId, false, now);
    this.server?.publish(message, stream, () => frameMessage(stream, record, faces, mainTrackId, true, now));
    if (this.publishers.length) {
      const json = JSON.stringify(message);
      for (const p of this.publishers) p.publish(stream, 'frames', json);
    }
    for (const sink of this.sinks.get(stream) ?? []) {
      try {
        sink.write(record, faces);
      } catch (err) {
        this.log(`${stream}: cannot write ${sink.stream} file sink (${(err as Error).message}); it is closed`);
        sink.close();
        this.sinks.set(
          stream,
          (this.sinks.get(stream) ?? []).filter((s) => s !== sink),
        );
      }
    }
  }

  private onStatus(status: StatusMessage): void {
    this.statuses.set(status.stream, status);
    if (status.state !== 'live' || status.detail)
      this.log(`${status.stream}: ${status.state}${status.detail ? ` (${status.detail})` : ''}`);
    else this.log(`${status.stream}: live`);
    this.server?.publish(status, status.stream);
    const json = JSON.stringify(status);
    for (const p of this.publishers) {
      p.publish(status.stream, 'status', json);
      p.publish(status.stream, 'state', json);
    }
  }

  /** Ordered shutdown; idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.queueGauge);
      for (const r of this.runners) r.stop();
      for (const list of this.sinks.values()) for (const s of list) s.close();
      await Promise.all(this.publishers.map((p) => p.close()));
      await this.server?.close();
      await this.pool.close();
    })();
    return this.closing;
  }
}
