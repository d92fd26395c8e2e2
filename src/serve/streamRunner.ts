import { map, tap, type Subscription } from 'rxjs';
import type { Detector } from '../detection/detector.js';
import type { Ensemble } from '../models/ensemble.js';
import type { FaceDescriber } from '../models/faceDescriber.js';
import type { DetectionTurns } from '../pipeline/detectionTurns.js';
import { labelNewest, type LiveRecord } from '../pipeline/labelNewest.js';
import { LiveTracks } from '../pipeline/liveTracks.js';
import { reidentifyOptions, VideoFaceLabeler } from '../pipeline/videoFaceLabeler.js';
import { liveSourceKind } from '../video/liveInput.js';
import { liveSource } from '../video/liveSource.js';
import type { LiveMetrics } from './liveMetrics.js';
import type { FaceRecord } from '../pipeline/faceRecords.js';
import { frameMessage, type StatusMessage, type StreamState } from './liveMessages.js';
import { StreamPreview } from './streamPreview.js';
import type { StreamSpec } from './serveConfig.js';

/** A labelled live frame as the stream's consumers get it: smoothed faces and the main one chosen. */
export interface PublishedFrame {
  stream: string;
  record: LiveRecord;
  faces: FaceRecord[];
  mainTrackId?: number;
}

export interface StreamRunnerDeps {
  detector: Detector;
  ensemble: Ensemble;
  /** Present when the stream re-identifies faces by appearance. */
  describer?: FaceDescriber;
  metrics: LiveMetrics;
  /** Shared by the streams of one pool: their scheduled detections take turns (detectionTurns.ts). */
  turns?: DetectionTurns;
  onFrame: (frame: PublishedFrame) => void;
  onStatus: (status: StatusMessage) => void;
  log: (line: string) => void;
  /** For tests: jitter source in [0, 1). */
  random?: () => number;
}

/** Next delay: exponential from `initial`, capped at `max`, with "equal jitter" (half fixed, half random). */
export function backoffMs(attempt: number, initialMs: number, maxMs: number, random: () => number): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
  return base / 2 + (base / 2) * random();
}

/**
 * One live stream, supervised for ever: probe and open the source, label frames as they come (newest wins
 * when behind), publish each; when ffmpeg ends, fails or stalls (no frame for `stallSeconds`: a dead
 * camera often leaves ffmpeg hanging or exiting 0), kill it and reconnect with exponential backoff and
 * jitter. Nothing here touches another stream: each runner has its own process, labeler and timers.
 */
export class StreamRunner {
  state: StreamState = 'connecting';
  readonly counts = { decoded: 0, labelled: 0, dropped: 0, faces: 0, reconnects: 0, stalls: 0 };
  fps = 0;
  width = 0;
  height = 0;
  private attempt = 0;
  private subscription?: Subscription;
  private timer?: NodeJS.Timeout;
  private watchdog?: NodeJS.Timeout;
  private lastFrameAt = 0;
  private frameOffset = 0;
  private lastIndex = -1;
  private stopped = false;
  /** The probe of the source now running, if any: stop() kills it. */
  private probing?: AbortController;
  private readonly labeler: VideoFaceLabeler;
  private readonly tracks: LiveTracks;
  /** The newest labelled picture with its faces, when the stream's preview is on. */
  readonly preview?: StreamPreview;
  private readonly recent: number[] = [];

  constructor(
    readonly spec: StreamSpec,
    private readonly deps: StreamRunnerDeps,
  ) {
    this.labeler = new VideoFaceLabeler(deps.detector, deps.ensemble, {
      detectEvery: spec.detectEvery,
      turns: deps.turns,
      reidentify: reidentifyOptions(spec.reid, deps.describer),
      deferDetections: spec.deferDetections,
    });
    this.tracks = new LiveTracks(spec.smooth);
    if (spec.preview) this.preview = new StreamPreview(spec.previewFps);
    // Every series exists from the start (at 0), so a rate or an alert sees it before the first event.
    const m = deps.metrics;
    for (const c of [m.framesDecoded, m.framesLabelled, m.framesDropped, m.faces, m.reconnects, m.stalls]) c.inc({ stream: spec.name }, 0);
  }

  get name(): string {
    return this.spec.name;
  }

  start(): void {
    this.connect();
    this.watchdog = setInterval(() => this.checkStall(), 250);
    this.watchdog.unref();
  }

  /** Stops the source (kills ffmpeg) and every timer. Idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.watchdog);
    this.subscription?.unsubscribe();
    this.probing?.abort(); // an ffprobe still waiting on a silent source is killed, not orphaned
    this.setState('stopped');
  }

  private connect(): void {
    if (this.stopped) return;
    this.setState(this.attempt === 0 ? 'connecting' : 'reconnecting', this.attempt ? `attempt ${this.attempt + 1}` : undefined);
    const { spec } = this;
    const source = liveSource(spec.source, {
      loop: spec.loop,
      timeoutMs: spec.timeoutSeconds * 1000,
      videoSize: spec.videoSize,
      frameRate: spec.frameRate,
    });
    const started = Date.now();
    this.probing = new AbortController();
    source.probe(this.probing.signal).then(
      (info) => {
        this.probing = undefined;
        if (this.stopped) return;
        this.width = info.width;
        this.height = info.height;
        this.lastFrameAt = Date.now();
        const offset = this.frameOffset;
        this.subscription = source
          .frames(info)
          .pipe(
            tap(() => this.onDecoded()),
            // Frame numbers continue across reconnects, so tracks and clients see one timeline.
            map((f) => ({ ...f, frameIndex: offset + f.frameIndex })),
            tap((f) => (this.lastIndex = f.frameIndex)),
            labelNewest(this.labeler, {
              maxInFlight: spec.maxInFlight,
              onDrop: () => this.onDropped(),
              onLabelled: this.preview ? (frame) => this.preview!.keep(frame) : undefined,
            }),
          )
          .subscribe({
            next: (record) => this.publish(record),
            error: (err: Error) => this.retry(`source failed: ${String(err.message).split('\n')[0]}`),
            complete: () => (liveSourceKind(spec.source) === 'file' && !spec.loop ? this.end() : this.retry('source ended')),
          });
      },
      (err: Error) => {
        this.probing = undefined;
        if (!this.stopped) this.retry(`${String(err.message).split('\n')[0]} (after ${Date.now() - started} ms)`);
      },
    );
  }

  private onDecoded(): void {
    this.lastFrameAt = Date.now();
    this.counts.decoded++;
    this.deps.metrics.framesDecoded.inc({ stream: this.name });
    if (this.state !== 'live') {
      this.attempt = 0;
      this.setState('live');
    }
  }

  private onDropped(): void {
    this.counts.dropped++;
    this.deps.metrics.framesDropped.inc({ stream: this.name });
  }

  private publish(record: LiveRecord): void {
    const { faces, mainTrackId } = this.tracks.update(record);
    const now = Date.now();
    this.counts.labelled++;
    this.counts.faces += faces.length;
    const m = this.deps.metrics;
    m.framesLabelled.inc({ stream: this.name });
    if (faces.length) m.faces.inc({ stream: this.name }, faces.length);
    m.latency.observe({ stream: this.name }, Math.max(0, now - record.receivedAtMs) / 1000);
    this.recent.push(now);
    while (this.recent.length && now - this.recent[0] > 3000) this.recent.shift();
    this.fps = this.recent.length > 1 ? ((this.recent.length - 1) * 1000) / Math.max(1, now - this.recent[0]) : 0;
    m.fps.set({ stream: this.name }, this.fps);
    if (this.preview?.wants(record.frameIndex))
      this.preview.labelled(record.frameIndex, frameMessage(this.name, record, faces, mainTrackId, false, now).faces);
    this.deps.onFrame({ stream: this.name, record, faces, mainTrackId });
  }

  private checkStall(): void {
    if (this.stopped || this.state !== 'live') return;
    if (Date.now() - this.lastFrameAt < this.spec.stallSeconds * 1000) return;
    this.counts.stalls++;
    this.deps.metrics.stalls.inc({ stream: this.name });
    this.setState('stalled', `no frame for ${this.spec.stallSeconds} s`);
    this.retry('stalled');
  }

  private retry(reason: string): void {
    if (this.stopped) return;
    this.subscription?.unsubscribe(); // kills ffmpeg if it still runs
    this.subscription = undefined;
    this.frameOffset = this.lastIndex + 1;
    this.attempt++;
    this.counts.reconnects++;
    this.deps.metrics.reconnects.inc({ stream: this.name });
    const delay = backoffMs(
      this.attempt,
      this.spec.reconnect.initialSeconds * 1000,
      this.spec.reconnect.maxSeconds * 1000,
      this.deps.random ?? Math.random,
    );
    this.deps.log(`${this.name}: ${reason}; reconnecting in ${(delay / 1000).toFixed(1)} s (attempt ${this.attempt})`);
    this.setState('reconnecting', `${reason}; next attempt in ${Math.round(delay)} ms`);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  private end(): void {
    this.subscription = undefined;
    this.setState('ended', 'the file ended (use loop: true / --loop to play it again)');
  }

  private setState(state: StreamState, detail?: string): void {
    if (state === this.state && !detail) return;
    this.state = state;
    this.deps.metrics.up.set({ stream: this.name }, state === 'live' ? 1 : 0);
    this.deps.onStatus({
      type: 'status',
      stream: this.name,
      state,
      wallTimeMs: Date.now(),
      detail,
      reconnects: this.counts.reconnects,
      framesDropped: this.counts.dropped,
    });
  }
}
