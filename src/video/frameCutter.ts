/**
 * Cuts a byte stream into frames of exactly `frameBytes`, carrying a partial frame over to the next chunk.
 * Each frame is a fresh copy, so it stays valid after the stream's buffers are reused.
 */
export class FrameCutter {
  private partial: Uint8Array;
  private filled = 0;

  constructor(readonly frameBytes: number) {
    if (!Number.isInteger(frameBytes) || frameBytes <= 0) throw new RangeError(`frameBytes must be a positive integer, got ${frameBytes}`);
    this.partial = new Uint8Array(frameBytes);
  }

  /** Frames completed by this chunk, in order. */
  push(chunk: Uint8Array): Uint8Array[] {
    const frames: Uint8Array[] = [];
    let at = 0;
    while (at < chunk.length) {
      const take = Math.min(this.frameBytes - this.filled, chunk.length - at);
      this.partial.set(chunk.subarray(at, at + take), this.filled);
      this.filled += take;
      at += take;
      if (this.filled === this.frameBytes) {
        frames.push(this.partial);
        this.partial = new Uint8Array(this.frameBytes);
        this.filled = 0;
      }
    }
    return frames;
  }

  /** Bytes of an unfinished frame; non-zero at the end of a stream means it was cut short. */
  get pendingBytes(): number {
    return this.filled;
  }
}
