import { InputError } from '../util/inputError.js';

export type VideoErrorKind =
  | 'missing'
  | 'not-a-file'
  | 'empty'
  | 'unreadable'
  | 'no-video-stream'
  | 'unsupported-codec'
  | 'truncated'
  | 'decode-failed'
  | 'spawn-failed';

/**
 * A video that cannot be read, with what went wrong. A decode failure carries ffmpeg's exit code, the
 * tail of its stderr and the frames delivered before it, so a caller can say where it stopped.
 */
export class VideoError extends InputError {
  constructor(
    readonly kind: VideoErrorKind,
    message: string,
    readonly details: { exitCode?: number | null; signal?: string | null; stderrTail?: string; framesDelivered?: number } = {},
  ) {
    super(message);
    this.name = 'VideoError';
  }
}
