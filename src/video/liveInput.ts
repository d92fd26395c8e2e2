import { spawnSync } from 'node:child_process';

/** Where live frames come from; each kind is opened by ffmpeg with its own transport arguments. */
export type LiveSourceKind = 'rtsp' | 'http' | 'v4l2' | 'file';

export function liveSourceKind(source: string): LiveSourceKind {
  if (/^rtsps?:\/\//i.test(source)) return 'rtsp';
  if (/^https?:\/\//i.test(source)) return 'http';
  if (/^\/dev\/video\d+$/.test(source)) return 'v4l2';
  return 'file';
}

export interface LiveInputOptions {
  /** File sources: start again at the end, for ever. */
  loop?: boolean;
  /** Network sources: give up a read or a connection that hangs this long (ffmpeg then exits). */
  timeoutMs: number;
  /** Cameras: ask for this size and rate (`640x480`, 30); default: the camera's own. */
  videoSize?: string;
  frameRate?: number;
}

const socketTimeoutFlag = new Map<string, string>();

/**
 * The RTSP socket-timeout option of one ffmpeg/ffprobe binary: `-stimeout` up to ffmpeg 4 (the npm static
 * build), `-timeout` from 5 on (where `-timeout` used to mean "listen"). Asked once per binary.
 */
function rtspTimeoutFlag(tool: string): string {
  let flag = socketTimeoutFlag.get(tool);
  if (!flag) {
    const help = spawnSync(tool, ['-hide_banner', '-h', 'demuxer=rtsp'], { encoding: 'utf8', timeout: 10_000 });
    flag = /-stimeout\b/.test(`${help.stdout}${help.stderr}`) ? '-stimeout' : '-timeout';
    socketTimeoutFlag.set(tool, flag);
  }
  return flag;
}

/**
 * ffmpeg/ffprobe arguments that open a live source (everything up to and including `-i <source>`, for the
 * binary `tool`, whose option spellings differ between versions):
 * - RTSP over TCP (no UDP packet loss behind NAT), with a socket timeout so a dead camera makes ffmpeg exit;
 * - HTTP(S) with a read/write timeout;
 * - `/dev/videoN` through v4l2, at the asked size and rate;
 * - a file played at its own frame rate (`-re`), as a camera would deliver it, looping on request.
 */
export function liveInputArgs(source: string, tool: string, options: LiveInputOptions): string[] {
  const micros = String(Math.round(options.timeoutMs * 1000));
  switch (liveSourceKind(source)) {
    case 'rtsp':
      return ['-rtsp_transport', 'tcp', rtspTimeoutFlag(tool), micros, '-i', source];
    case 'http':
      return ['-rw_timeout', micros, '-i', source];
    case 'v4l2':
      return [
        '-f',
        'v4l2',
        ...(options.videoSize ? ['-video_size', options.videoSize] : []),
        ...(options.frameRate ? ['-framerate', String(options.frameRate)] : []),
        '-i',
        source,
      ];
    case 'file':
      return ['-re', ...(options.loop ? ['-stream_loop', '-1'] : []), '-i', source];
  }
}

/** The same source for ffprobe: no pacing or looping, which only the decoder needs. */
export function liveProbeArgs(source: string, tool: string, options: LiveInputOptions): string[] {
  const args = liveInputArgs(source, tool, { ...options, loop: false });
  const i = args.lastIndexOf('-i');
  return args.slice(0, i).filter((a) => a !== '-re');
}
