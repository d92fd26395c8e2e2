import type { VideoInfo } from './probeVideo.js';

/**
 * Whether a decode that ffmpeg finished is the whole file. ffmpeg reads a cut-short AVI, MKV, WebM or FLV
 * to where the bytes end and exits 0; only MP4/MOV (whose index sits at one end) fail loudly. The
 * container's own numbers are the other witness: its frame count where it keeps one (AVI, MP4), else the
 * time the decoded frames cover against its duration (frame rates of variable-rate video are averages).
 */

/**
 * A container's duration may cover audio that runs past the video. With no audio the slack is what
 * rounding needs; with audio, a tenth of the length more: a cut at half is still caught, sound that
 * outlasts the picture by more than that (an FLV, which keeps no per-stream duration) needs --accept-short.
 */
const CONTAINER_SLACK_MS = 500;
const CONTAINER_WITH_AUDIO_SLACK = 0.1;

/**
 * A sentence for a shortfall beyond tolerance (edit lists, a damaged packet, rounding), or undefined when
 * what was decoded is what the file declares. `ptsMs` holds each decoded frame's time.
 */
export function shortfall(info: VideoInfo, ptsMs: readonly number[]): string | undefined {
  const delivered = ptsMs.length;
  const frameTolerance = (frames: number) => Math.max(3, Math.ceil(frames * 0.01));
  if (info.frameCountHint) {
    if (info.frameCountHint - delivered <= frameTolerance(info.frameCountHint)) return undefined;
    return `decoded ${delivered} of the ${info.frameCountHint} frames its header declares: the file is cut short or still being written`;
  }
  if (!(info.durationMs > 0) || delivered === 0) return undefined;
  const covered = coveredMs(ptsMs, info.fps);
  const interval = delivered > 1 ? covered / delivered : info.durationMs;
  const fromContainer = info.durationBasis === 'container';
  let tolerance = Math.max(3 * interval, info.durationMs * 0.01);
  if (fromContainer)
    tolerance += info.hasAudio ? Math.max(CONTAINER_SLACK_MS, info.durationMs * CONTAINER_WITH_AUDIO_SLACK) : CONTAINER_SLACK_MS;
  if (info.durationMs - covered <= tolerance) return undefined;
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  return `decoded ${delivered} frames covering ${s(covered)} of the ${s(info.durationMs)} its ${fromContainer ? 'container' : 'stream'} duration declares: the file is cut short or still being written`;
}

/** First frame to the end of the last, the last frame lasting as long as the median gap between frames. */
function coveredMs(ptsMs: readonly number[], fps: number): number {
  const sorted = [...ptsMs].sort((a, b) => a - b);
  const gaps = sorted
    .slice(1)
    .map((t, i) => t - sorted[i])
    .sort((a, b) => a - b);
  const last = gaps.length ? gaps[gaps.length >> 1] : fps > 0 ? 1000 / fps : 0;
  return sorted[sorted.length - 1] - sorted[0] + last;
}
