import cliProgress from 'cli-progress';
import type { BatchEvents, VideoResult } from './batchRun.js';
import type { BatchVideo } from './batchInputs.js';

/** Progress of a batch: a bar on a terminal (cli-progress), a plain line every `intervalMs` otherwise, or nothing. */
export class BatchProgress implements BatchEvents {
  private readonly framesByVideo = new Map<string, number>();
  private framesBefore = 0;
  private ended = 0;
  private failed = 0;
  private readonly started = Date.now();
  private readonly bar?: cliProgress.SingleBar;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly total: number,
    private readonly mode: 'bar' | 'lines' | 'off',
    private readonly write: (line: string) => void,
    intervalMs = 10_000,
  ) {
    if (mode === 'bar') {
      this.bar = new cliProgress.SingleBar(
        {
          format: 'videos {bar} {value}/{total} | {frames} frames | {fps} frames/s | ETA {eta_formatted} | {failed} failed',
          hideCursor: true,
          etaBuffer: 20,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total, 0, { frames: 0, fps: '0.0', failed: 0 });
    } else if (mode === 'lines') {
      this.timer = setInterval(() => this.write(this.line()), intervalMs);
      this.timer.unref();
    }
  }

  videoStarted(video: BatchVideo): void {
    this.framesByVideo.set(video.name, 0);
  }

  framesDone(video: BatchVideo, frames: number): void {
    this.framesByVideo.set(video.name, frames);
    this.bar?.update({ frames: this.frames(), fps: this.fps().toFixed(1) });
  }

  videoEnded(result: VideoResult): void {
    this.ended++;
    if (result.status === 'failed') this.failed++;
    this.framesBefore += this.framesByVideo.get(result.name) ?? 0;
    this.framesByVideo.delete(result.name);
    if (this.bar) this.bar.update(this.ended, { frames: this.frames(), fps: this.fps().toFixed(1), failed: this.failed });
    else if (this.mode === 'lines' && result.status === 'failed') this.write(`failed ${result.path}: ${result.error}`);
  }

  stop(): void {
    this.bar?.stop();
    clearInterval(this.timer);
  }

  private frames(): number {
    let n = this.framesBefore;
    for (const f of this.framesByVideo.values()) n += f;
    return n;
  }

  private fps(): number {
    return this.frames() / Math.max(1e-3, (Date.now() - this.started) / 1000);
  }

  private line(): string {
    const elapsed = (Date.now() - this.started) / 1000;
    const eta = this.ended ? ((this.total - this.ended) * elapsed) / this.ended : NaN;
    return `batch: ${this.ended}/${this.total} videos, ${this.frames()} frames, ${this.fps().toFixed(1)} frames/s, ${this.failed} failed${Number.isFinite(eta) ? `, ETA ${Math.round(eta)} s` : ''}`;
  }
}
