import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FrameCutter } from './frameCutter.js';

// A unix socket's path must fit sockaddr_un (107 bytes on Linux, 103 on macOS).
const MAX_SOCKET_PATH = 100;
// ffmpeg listens once it has opened its input (a camera may take seconds): try again, soon at first.
const RETRY_FIRST_MS = 5;
const RETRY_MAX_MS = 100;

/**
 * Where ffmpeg writes its raw frames: a unix socket that ffmpeg listens on (`-listen 1 unix:<path>`) and that
 * is read straight into the frames' shared buffers (net's `onread`, its buffer the frame's unfilled rest). A
 * pipe hands over every 64 KB read as a new Buffer that is copied into the frame and dropped: about 110 MB/s of
 * short-lived memory for four 640x480 cameras, on which the main thread's garbage collector ran a full
 * collection every quarter of a second (docs/live.md). Here no byte of a frame is allocated or copied on its
 * way in. `open()` gives none where unix sockets are not at hand (Windows, or a temporary folder whose path
 * is too long for one): the caller then reads ffmpeg's stdout.
 */
export class FrameSocket {
  private socket?: Socket;
  private retry?: NodeJS.Timeout;
  private wait = RETRY_FIRST_MS;
  private closed = false;
  private paused = false;
  private onDone?: () => void;
  private ended = false;

  private constructor(
    private readonly dir: string,
    readonly path: string,
  ) {}

  static open(): FrameSocket | undefined {
    if (process.platform === 'win32') return undefined;
    const dir = mkdtempSync(join(tmpdir(), 'fer-frames-'));
    const path = join(dir, 'frames.sock');
    if (Buffer.byteLength(path) <= MAX_SOCKET_PATH) return new FrameSocket(dir, path);
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }

  /** ffmpeg's output: listen on the socket's path and write the raw frames to whoever connects. */
  get outputArgs(): string[] {
    return ['-listen', '1', `unix:${this.path}`];
  }

  /** True once the socket has been read to its end (or closed for good): every byte ffmpeg sent is in. */
  get done(): boolean {
    return this.ended;
  }

  /** Whether a connection was made: ffmpeg got as far as its output, and `done` will follow its end. */
  get connected(): boolean {
    return this.socket !== undefined;
  }

  /**
   * Connects once ffmpeg listens and reads until ffmpeg closes its end, filling `cutter`'s frames in place;
   * `onFrame` gets each completed frame, `onDone` is called once the last byte is in.
   */
  start(cutter: FrameCutter, onFrame: (frame: Uint8Array) => void, onDone: () => void): void {
    this.onDone = onDone;
    const attempt = () => {
      this.retry = undefined;
      if (this.closed) return;
      const socket = connect({
        path: this.path,
        onread: {
          buffer: () => cutter.space(),
          callback: (bytes: number) => {
            const frame = cutter.wrote(bytes);
            if (frame) onFrame(frame);
            return true;
          },
        },
      });
      socket.once('connect', () => {
        this.socket = socket;
        if (this.paused) socket.pause();
      });
      socket.on('error', (err: NodeJS.ErrnoException) => {
        // Not listening yet: try again. Any other error ends the read; ffmpeg's exit says what happened.
        if (!this.socket && (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') && !this.closed) {
          this.retry = setTimeout(attempt, this.wait);
          this.wait = Math.min(RETRY_MAX_MS, this.wait * 2);
        }
      });
      socket.on('close', () => {
        if (this.socket === socket) this.finish();
      });
    };
    attempt();
  }

  pause(): void {
    this.paused = true;
    this.socket?.pause();
  }

  resume(): void {
    this.paused = false;
    this.socket?.resume();
  }

  /** Stops connecting and reading, and removes the socket's folder. ffmpeg, if still writing, gets a broken pipe. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    this.socket?.destroy();
    rmSync(this.dir, { recursive: true, force: true });
    this.finish();
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.onDone?.();
  }
}
