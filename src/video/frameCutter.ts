/**
 * Cuts a byte stream into frames of exactly `frameBytes`, carrying a partial frame over to the next chunk:
 * given chunks (`push`, a copy) or filled in place (`space`, then `wrote`). A frame stays valid after the
 * stream's buffers are reused; its buffer is only reused after `recycle()`.
 */
export class FrameCutter {
  private partial: Uint8Array;
  private filled = 0;
  private readonly spare: Uint8Array[] = [];

  constructor(readonly frameBytes: number) {
    if (!Number.isInteger(frameBytes) || frameBytes <= 0) throw new RangeError(`frameBytes must be a positive integer, got ${frameBytes}`);
    this.partial = sharedFrame(frameBytes);
  }

  /** Frames completed by this chunk, in order (each byte copied once, into its frame). */
  push(chunk: Uint8Array): Uint8Array[] {
    const frames: Uint8Array[] = [];
    let at = 0;
    while (at < chunk.length) {
      const room = this.space();
      const take = Math.min(room.length, chunk.length - at);
      room.set(chunk.subarray(at, at + take));
      at += take;
      const frame = this.wrote(take);
      if (frame) frames.push(frame);
    }
    return frames;
  }

  /** Where the next bytes go: the unfilled rest of the frame being filled (a reader may write straight into it). */
  space(): Uint8Array {
    return this.partial.subarray(this.filled);
  }

  /** Says that `bytes` were written at the start of `space()`; returns the frame they completed, if they did. */
  wrote(bytes: number): Uint8Array | undefined {
    this.filled += bytes;
    if (this.filled < this.frameBytes) return undefined;
    const frame = this.partial;
    this.partial = this.spare.pop() ?? sharedFrame(this.frameBytes);
    this.filled = 0;
    return frame;
  }

  /**
   * Gives back a frame's buffer once nothing reads it any more, to be filled again: a 720p frame is
   * 2.7 MB, and allocating one per frame kept the garbage collector busy.
   */
  recycle(frame: Uint8Array): void {
    if (frame.length === this.frameBytes && this.spare.length < 64) this.spare.push(frame);
  }

  /** Bytes of an unfinished frame; non-zero at the end of a stream means it was cut short. */
  get pendingBytes(): number {
    return this.filled;
  }
}

/**
 * A frame's buffer in shared memory: the inference workers cut faces from it where it lies (posting it
 * shares it; models/ort/cropFeed.ts), instead of the main thread cutting them or a copy per frame.
 */
function sharedFrame(bytes: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(bytes));
}
