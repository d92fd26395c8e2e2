import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { promisify } from 'node:util';
import { ffmpegTools } from './ffmpegBinaries.js';
import { VideoError } from './videoError.js';

const run = promisify(execFile);

export interface VideoInfo {
  path: string;
  /** The container's index of the stream decoded (the first real video stream, not cover art). */
  streamIndex: number;
  /** Frame size as delivered: after rotation metadata is applied, as ffmpeg does by default. */
  width: number;
  height: number;
  /** Degrees clockwise the stored frames are turned for display (0, 90, 180, 270). */
  rotation: number;
  codec: string;
  /** Average frame rate (frames / duration), NaN when the container does not say. */
  fps: number;
  durationMs: number;
  /** The container's frame count, when it has one; decoding is the truth (variable rate, edit lists). */
  frameCountHint?: number;
}

interface ProbeStream {
  index?: number;
  codec_type?: string;
  disposition?: { attached_pic?: number };
  codec_name?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  nb_frames?: string;
  duration?: string;
  tags?: { rotate?: string };
  side_data_list?: { rotation?: number | string }[];
}

const rate = (r?: string) => {
  const [n, d] = (r ?? '').split('/').map(Number);
  return n > 0 && d > 0 ? n / d : NaN;
};

/** Checks that `path` is a non-empty file, then reads its first video stream's facts with ffprobe. */
export async function probeVideo(path: string): Promise<VideoInfo> {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new VideoError('not-a-file', `${path} is a ${st.isDirectory() ? 'folder' : 'special file'}, not a video file`);
    size = st.size;
  } catch (err) {
    if (err instanceof VideoError) throw err;
    throw new VideoError('missing', `${path}: no such file`);
  }
  if (size === 0) throw new VideoError('empty', `${path} is empty (0 bytes)`);
  return probeSource(path);
}

/**
 * ffprobe's facts about the first video stream of `source`: a file, or a live source (an RTSP/HTTP URL, a
 * camera device) opened with `inputArgs` (transport, timeouts, demuxer) and given up after `timeoutMs`.
 */
export async function probeSource(source: string, inputArgs: string[] = [], timeoutMs = 0): Promise<VideoInfo> {
  let out: string;
  const { ffprobe } = ffmpegTools();
  try {
    const args = ['-v', 'error', '-show_entries', 'stream:stream_tags=rotate:stream_disposition=attached_pic:stream_side_data=rotation:format=duration', '-of', 'json', ...inputArgs, source];
    ({ stdout: out } = await run(ffprobe, args, { maxBuffer: 16 << 20, timeout: timeoutMs, killSignal: 'SIGKILL' }));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'EACCES') {
      throw new VideoError('spawn-failed', `cannot run ffprobe at ${ffprobe} (${(err as Error).message}); check FFPROBE_PATH or reinstall`);
    }
    if ((err as { killed?: boolean }).killed) throw new VideoError('unreadable', `${source}: no answer within ${timeoutMs} ms`);
    const stderr = String((err as { stderr?: string }).stderr ?? '').trim().split('\n').pop() ?? '';
    throw new VideoError('unreadable', `${source} is not a readable video (${stderr.replace(/^.*?: /, '') || (err as Error).message})`);
  }
  const path = source;
  const probe = JSON.parse(out) as { streams?: ProbeStream[]; format?: { duration?: string } };
  const streams = probe.streams ?? [];
  // Cover art in an audio file is a one-picture "video" stream; it is not a video.
  const video = streams.find((s) => s.codec_type === 'video' && (s.width ?? 0) > 0 && !s.disposition?.attached_pic);
  if (!video) {
    const kinds = streams.map((s) => (s.disposition?.attached_pic ? 'cover art' : s.codec_type)).filter(Boolean);
    throw new VideoError('no-video-stream', `${path} has no video stream${kinds.length ? ` (only ${[...new Set(kinds)].join(', ')})` : ''}`);
  }
  if (!video.codec_name || video.codec_name === 'none' || video.codec_name === 'unknown') {
    throw new VideoError('unsupported-codec', `${path}: its video codec is not one ffmpeg can decode`);
  }
  const sideRotation = video.side_data_list?.find((d) => d.rotation !== undefined)?.rotation;
  // Display-matrix rotation is counter-clockwise (-90 = turned 90 clockwise); the old `rotate` tag is clockwise.
  const raw = sideRotation !== undefined ? -Number(sideRotation) : Number(video.tags?.rotate ?? 0);
  const rotation = (((Math.round(raw / 90) * 90) % 360) + 360) % 360;
  const swap = rotation === 90 || rotation === 270;
  const durationS = Number(video.duration ?? probe.format?.duration);
  const frames = Number(video.nb_frames);
  return {
    path,
    streamIndex: video.index ?? 0,
    width: swap ? video.height! : video.width!,
    height: swap ? video.width! : video.height!,
    rotation,
    codec: video.codec_name,
    fps: rate(video.avg_frame_rate),
    durationMs: Number.isFinite(durationS) ? durationS * 1000 : NaN,
    frameCountHint: Number.isInteger(frames) && frames > 0 ? frames : undefined,
  };
}
