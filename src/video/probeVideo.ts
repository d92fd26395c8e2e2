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
  /** Whether `durationMs` is the video stream's own (stream, or Matroska's per-stream tag) or the whole container's. */
  durationBasis?: 'stream' | 'container';
  /** Whether the file also holds sound, which a container's duration may cover past the picture's end. */
  hasAudio?: boolean;
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
  tags?: { rotate?: string; DURATION?: string };
  side_data_list?: { rotation?: number | string }[];
}

const rate = (r?: string) => {
  const [n, d] = (r ?? '').split('/').map(Number);
  return n > 0 && d > 0 ? n / d : NaN;
};

/** What stat's error means for a user: a symlink loop or a forbidden folder is not a missing file. */
function statProblem(err: NodeJS.ErrnoException): string {
  if (err.code === 'ENOENT') return 'no such file';
  if (err.code === 'ELOOP') return 'a loop of symbolic links, not a file';
  if (err.code === 'EACCES') return 'permission denied';
  if (err.code === 'ENOTDIR') return 'a part of the path is not a folder';
  if (err.code === 'ENAMETOOLONG') return 'the path is too long';
  return `cannot be read (${err.code ?? err.message})`;
}

/** Matroska writes each stream's duration as a tag, "HH:MM:SS.nnnnnnnnn". */
function matroskaDuration(tag?: string): number {
  const m = /^(\d+):(\d\d):(\d\d(?:\.\d+)?)$/.exec(tag ?? '');
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : NaN;
}

/** Checks that `path` is a non-empty file, then reads its first video stream's facts with ffprobe. */
export async function probeVideo(path: string): Promise<VideoInfo> {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new VideoError('not-a-file', `${path} is a ${st.isDirectory() ? 'folder' : 'special file'}, not a video file`);
    size = st.size;
  } catch (err) {
    if (err instanceof VideoError) throw err;
    throw new VideoError('missing', `${path}: ${statProblem(err as NodeJS.ErrnoException)}`);
  }
  if (size === 0) throw new VideoError('empty', `${path} is empty (0 bytes)`);
  return probeSource(path);
}

/**
 * ffprobe's facts about the first video stream of `source`: a file, or a live source (an RTSP/HTTP URL, a
 * camera device) opened with `inputArgs` (transport, timeouts, demuxer) and given up after `timeoutMs`;
 * `signal` kills ffprobe at once (a daemon shutting down leaves no probe behind).
 */
export async function probeSource(source: string, inputArgs: string[] = [], timeoutMs = 0, signal?: AbortSignal): Promise<VideoInfo> {
  let out: string;
  const { ffprobe } = ffmpegTools();
  try {
    const args = [
      '-v',
      'error',
      '-show_entries',
      'stream:stream_tags=rotate,DURATION:stream_disposition=attached_pic:stream_side_data=rotation:format=duration',
      '-of',
      'json',
      ...inputArgs,
      source,
    ];
    ({ stdout: out } = await run(ffprobe, args, { maxBuffer: 16 << 20, timeout: timeoutMs, killSignal: 'SIGKILL', signal }));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'EACCES') {
      throw new VideoError('spawn-failed', `cannot run ffprobe at ${ffprobe} (${(err as Error).message}); check FFPROBE_PATH or reinstall`);
    }
    if ((err as Error).name === 'AbortError') throw new VideoError('unreadable', `${source}: probe stopped`);
    if ((err as { killed?: boolean }).killed) throw new VideoError('unreadable', `${source}: no answer within ${timeoutMs} ms`);
    const stderr =
      String((err as { stderr?: string }).stderr ?? '')
        .trim()
        .split('\n')
        .pop() ?? '';
    throw new VideoError('unreadable', `${source} is not a readable video (${stderr.replace(/^.*?: /, '') || (err as Error).message})`);
  }
  const path = source;
  const probe = JSON.parse(out) as { streams?: ProbeStream[]; format?: { duration?: string } };
  const streams = probe.streams ?? [];
  // Cover art in an audio file is a one-picture "video" stream; it is not a video.
  const video = streams.find((s) => s.codec_type === 'video' && (s.width ?? 0) > 0 && !s.disposition?.attached_pic);
  if (!video) {
    const kinds = streams.map((s) => (s.disposition?.attached_pic ? 'cover art' : s.codec_type)).filter(Boolean);
    throw new VideoError(
      'no-video-stream',
      `${path} has no video stream${kinds.length ? ` (only ${[...new Set(kinds)].join(', ')})` : ''}`,
    );
  }
  if (!video.codec_name || video.codec_name === 'none' || video.codec_name === 'unknown') {
    throw new VideoError('unsupported-codec', `${path}: its video codec is not one ffmpeg can decode`);
  }
  const sideRotation = video.side_data_list?.find((d) => d.rotation !== undefined)?.rotation;
  // Display-matrix rotation is counter-clockwise (-90 = turned 90 clockwise); the old `rotate` tag is clockwise.
  const raw = sideRotation !== undefined ? -Number(sideRotation) : Number(video.tags?.rotate ?? 0);
  const rotation = (((Math.round(raw / 90) * 90) % 360) + 360) % 360;
  const swap = rotation === 90 || rotation === 270;
  const streamS = Number(video.duration ?? matroskaDuration(video.tags?.DURATION));
  const durationS = Number.isFinite(streamS) ? streamS : Number(probe.format?.duration);
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
    hasAudio: streams.some((s) => s.codec_type === 'audio'),
    durationBasis: Number.isFinite(streamS) ? 'stream' : Number.isFinite(durationS) ? 'container' : undefined,
    frameCountHint: Number.isInteger(frames) && frames > 0 ? frames : undefined,
  };
}
