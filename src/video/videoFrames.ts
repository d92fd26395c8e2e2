import { spawn } from 'node:child_process';
import { Observable } from 'rxjs';
import type { RgbImage } from '../image/rgbImage.js';
import type { FlowGate } from './flowGate.js';
import { ffmpegTools } from './ffmpegBinaries.js';
import { FrameCutter } from './frameCutter.js';
import { FrameSocket } from './frameSocket.js';
import { shortfall } from './declaredLength.js';
import type { VideoInfo } from './probeVideo.js';
import { VideoError } from './videoError.js';

/** One decoded frame; `frameIndex` counts decoded frames from 0, `ptsMs` is its presentation time. */
export interface VideoFrame {
  frameIndex: number;
  ptsMs: number;
  image: RgbImage;
  /** Optional: says nothing reads `image` any more, so its buffer may hold a later frame. */
  release?: () => void;
  /** When the frame's last byte came out of ffmpeg (`Date.now()`): where live latency is measured from. */
  receivedAtMs?: number;
}

export interface VideoFramesOptions {
  /** Decoding pauses while this gate is closed (the consumer's queue is full). */
  gate?: FlowGate;
  /** Stop after this many frames (benchmarks); the run still completes normally. */
  maxFrames?: number;
  /** Receives ffmpeg's messages about damaged data it decoded past (a frame it cannot decode is not delivered). */
  onDamage?: (message: string) => void;
  /**
   * How ffmpeg opens the input, in place of `-i <info.path>`: a live source's transport, timeout and
   * pacing (see liveInput.ts). The frames are cut and timed exactly as for a file.
   */
  inputArgs?: string[];
  /**
   * Given, a file that ends early completes with the frames it has, and this hears why (`--accept-short`);
   * without it, that is a 'truncated' error. A damaged file (ffmpeg exits non-zero) is an error either way.
   */
  acceptShort?: (message: string) => void;
}

// showinfo's per-frame line: the frame's own number and time as the decoder gave them.
const SHOWINFO = /\] n:\s*(\d+) pts:\s*(\S+) pts_time:(\S+)/;
// Demuxer messages that mean the file ends early. A decoder's "Error while decoding stream ...: Invalid data"
// is one damaged packet (its frame is not decoded, as ffprobe -count_frames agrees) and is not one of them.
const TRUNCATED = /partial file|moov atom not found|file ended prematurely/i;
// A decoder complaining about its input: damage it skips or conceals, not fatal. (The rawvideo muxer's
// complaint about repeated timestamps of variable-rate input is about our output, not damage.)
const DAMAGE = /^\[(?!rawvideo)\w+ @ 0x[0-9a-f]+\] .*(error|invalid|missing|corrupt)/i;
const cutShort = (line: string, path: string) => TRUNCATED.test(line) || (line.startsWith(`${path}: `) && /Invalid data found/.test(line));
const STDERR_TAIL_LINES = 12;

/**
 * Every decoded frame of `info`'s first video stream, as RGB, in decode-output order, by one ffmpeg process:
 * raw frames read straight into shared frame buffers (frameSocket.ts; ffmpeg's stdout where that is not at hand)
 * and cut by exact size, rotation applied, no frame rate conversion
 * (passthrough, so variable-rate video keeps every frame and its own time). Unsubscribing kills ffmpeg.
 * It completes only when ffmpeg exits 0 with no partial frame and no sign of a cut-short file; otherwise it
 * errors with a VideoError carrying the exit code, the tail of stderr and the frames delivered.
 */
export function videoFrames(info: VideoInfo, options: VideoFramesOptions = {}): Observable<VideoFrame> {
  return new Observable<VideoFrame>((subscriber) => {
    const tools = ffmpegTools();
    const { width, height } = info;
    const frameBytes = width * height * 3;
    const socket = FrameSocket.open();
    const args = [
      '-hide_banner',
      '-nostdin',
      '-nostats',
      '-loglevel',
      'info',
      ...(options.inputArgs ?? ['-i', info.path]),
      '-map',
      `0:${info.streamIndex}`,
      '-an',
      '-sn',
      '-dn',
      // showinfo reports each frame's pts. It runs on a 2x2 crop (no copy) of a split, because on whole
      // frames its checksums cost more than the decode's colour conversion. The explicit scale keeps every
      // frame at the probed size even if the stream changes resolution mid-way.
      '-vf',
      `split[out][info];[info]crop=2:2:0:0,showinfo,nullsink;[out]scale=${width}:${height},format=rgb24`,
      ...tools.passthroughArgs,
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      ...(socket ? socket.outputArgs : ['pipe:1']),
    ];
    const proc = spawn(tools.ffmpeg, args, { stdio: ['ignore', socket ? 'ignore' : 'pipe', 'pipe'] });
    const cutter = new FrameCutter(frameBytes);
    const pts: number[] = [];
    const waiting: Uint8Array[] = [];
    const tail: string[] = [];
    let stderrRest = '';
    let truncated = false;
    let delivered = 0;
    let finished = false;
    let killTimer: NodeJS.Timeout | undefined;
    const limit = options.maxFrames ?? Infinity;

    const fail = (err: VideoError) => {
      if (finished) return;
      finished = true;
      socket?.close();
      subscriber.error(err);
    };
    const details = (code?: number | null, signal?: string | null) => ({
      exitCode: code,
      signal,
      stderrTail: tail.join('\n'),
      framesDelivered: delivered,
    });

    const flush = () => {
      // pts[] holds one entry per frame ffmpeg reported; a frame waits here until its entry arrives.
      while (waiting.length && pts.length > delivered && delivered < limit && !finished) {
        const data = waiting.shift()!;
        const frame: VideoFrame = {
          frameIndex: delivered,
          ptsMs: pts[delivered],
          image: { width, height, data },
          release: () => cutter.recycle(data),
          receivedAtMs: Date.now(),
        };
        delivered++;
        options.gate?.enter();
        subscriber.next(frame);
      }
      if (delivered >= limit && !finished) {
        finished = true;
        subscriber.complete();
        stop();
      }
    };

    // ffmpeg's exit, kept until every byte it wrote has been read: a socket may still hold frames after it.
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    if (socket)
      socket.start(
        cutter,
        (frame) => {
          waiting.push(frame);
          flush();
        },
        () => settle(),
      );
    else
      proc.stdout!.on('data', (chunk: Buffer) => {
        waiting.push(...cutter.push(chunk));
        flush();
      });
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (text: string) => {
      const lines = (stderrRest + text).split(/\r?\n/);
      stderrRest = lines.pop() ?? '';
      for (const line of lines) {
        const m = SHOWINFO.exec(line);
        if (m) {
          const t = Number(m[3]);
          pts.push(Number.isFinite(t) ? t * 1000 : (pts.length * 1000) / (info.fps || 25));
          continue;
        }
        if (cutShort(line, info.path)) truncated = true;
        else if (DAMAGE.test(line)) options.onDamage?.(line.trim());
        if (line.trim()) {
          tail.push(line.trim());
          if (tail.length > STDERR_TAIL_LINES) tail.shift();
        }
      }
      flush();
    });

    const reader = socket ?? proc.stdout!;
    const gateOff = options.gate?.onChange((open) => (open ? reader.resume() : reader.pause()));
    if (options.gate && !options.gate.open) reader.pause();

    proc.on('error', (err) => fail(new VideoError('spawn-failed', `cannot start ffmpeg (${tools.ffmpeg}): ${err.message}`)));
    proc.on('close', (code, signal) => {
      if (killTimer) clearTimeout(killTimer);
      exit = { code, signal };
      // A failed ffmpeg has nothing more worth reading; one that never connected has nothing to read at all.
      if (socket && (code !== 0 || !socket.connected)) socket.close();
      settle();
    });

    // The end of the run, once ffmpeg has exited and its frames are all read.
    function settle() {
      if (!exit || (socket && !socket.done) || finished) return;
      socket?.close();
      const { code, signal } = exit;
      const where = `${info.path}: decoding stopped after ${delivered} frame(s)`;
      if (code !== 0) {
        const last = tail[tail.length - 1] ?? 'no message';
        return fail(
          new VideoError(
            truncated ? 'truncated' : 'decode-failed',
            `${where}: ffmpeg exited with ${code ?? signal} (${last})`,
            details(code, signal),
          ),
        );
      }
      if (waiting.length)
        return fail(new VideoError('decode-failed', `${where}: ${waiting.length} frame(s) came without a timestamp`, details(code)));
      if (delivered === 0)
        return fail(
          new VideoError(
            'decode-failed',
            `${info.path}: no frame could be decoded (${tail[tail.length - 1] ?? 'no message'})`,
            details(code),
          ),
        );
      const short = endedEarly();
      if (short && !options.acceptShort) return fail(new VideoError('truncated', `${where}: ${short}`, details(code)));
      if (short) options.acceptShort!(`${where}: ${short}`);
      finished = true;
      subscriber.complete();
    }

    // Why a run that ffmpeg finished is still not the whole file: a partial last frame, ffmpeg's own
    // end-of-file complaint, or fewer frames than the container declares (a live source declares none).
    function endedEarly(): string | undefined {
      if (cutter.pendingBytes > 0) return `the stream ends inside a frame (${cutter.pendingBytes} of ${frameBytes} bytes)`;
      if (truncated) return `the file is cut short or damaged (${tail.filter((l) => cutShort(l, info.path)).pop()})`;
      return options.inputArgs ? undefined : shortfall(info, pts.slice(0, delivered));
    }

    function stop() {
      socket?.close(); // ffmpeg, blocked on a full socket or not, gets a broken pipe
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.stdout?.resume(); // a paused pipe would keep ffmpeg blocked on write
      proc.kill('SIGTERM');
      killTimer = setTimeout(() => proc.kill('SIGKILL'), 2000);
      killTimer.unref();
    }

    return () => {
      finished = true;
      gateOff?.();
      stop();
    };
  });
}
