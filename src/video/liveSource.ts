import type { Observable } from 'rxjs';
import { ffmpegTools } from './ffmpegBinaries.js';
import { liveInputArgs, liveProbeArgs, type LiveInputOptions } from './liveInput.js';
import { probeSource, type VideoInfo } from './probeVideo.js';
import { videoFrames, type VideoFrame } from './videoFrames.js';

/**
 * video/'s entry for a live source (an RTSP/HTTP camera, /dev/videoN, a file played in real time): the
 * probe and the frames, with the transport, timeouts and pacing of liveInput.ts, so that callers never build
 * ffmpeg arguments themselves.
 */
export interface LiveSource {
  /** ffprobe's facts, given up after `timeoutMs`; `signal` kills the probe at once (shutdown). */
  probe(signal?: AbortSignal): Promise<VideoInfo>;
  /** The frames of a probed source, as videoFrames gives them (unsubscribing kills ffmpeg). */
  frames(info: VideoInfo): Observable<VideoFrame>;
}

export function liveSource(source: string, options: LiveInputOptions): LiveSource {
  const tools = ffmpegTools();
  return {
    probe: (signal) => probeSource(source, liveProbeArgs(source, tools.ffprobe, options), options.timeoutMs, signal),
    frames: (info) => videoFrames(info, { inputArgs: liveInputArgs(source, tools.ffmpeg, options) }),
  };
}
