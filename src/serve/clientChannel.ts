import type { WebSocket } from 'ws';

export interface ClientChannelOptions {
  /** Messages waiting for this client at most; past it the oldest are dropped. */
  maxQueued: number;
  /** Bytes handed to the socket and not yet written out, past which sending waits. */
  maxInFlightBytes?: number;
  /** A client dropping messages for this long is closed. */
  closeAfterBehindMs: number;
  onDrop?: (count: number) => void;
  onSlowClose?: () => void;
}

/**
 * One WebSocket client's bounded send queue. Messages go to the socket while less than
 * `maxInFlightBytes` are unwritten (ws's send callback says when each is written); the rest wait here, at
 * most `maxQueued`, oldest dropped first. A client that keeps losing messages is told how many (a
 * `dropped` message once it catches up) and closed if it stays behind. Memory per client is bounded by
 * the queue and the in-flight bytes, whatever the client does; other clients never wait for it.
 */
export class ClientChannel {
  private readonly queue: string[] = [];
  private inFlightBytes = 0;
  private droppedSinceNotice = 0;
  private behindSince?: number;
  private closed = false;
  dropped = 0;

  constructor(
    private readonly ws: WebSocket,
    private readonly options: ClientChannelOptions,
  ) {}

  send(message: string): void {
    if (this.closed) return;
    this.queue.push(message);
    if (this.queue.length > this.options.maxQueued) {
      const n = this.queue.length - this.options.maxQueued;
      this.queue.splice(0, n);
      this.dropped += n;
      this.droppedSinceNotice += n;
      this.behindSince ??= Date.now();
      this.options.onDrop?.(n);
    }
    this.flush();
  }

  /** Closes a client that has been dropping messages for too long; returns true if it did. */
  checkBehind(now = Date.now()): boolean {
    if (this.closed || this.behindSince === undefined || now - this.behindSince < this.options.closeAfterBehindMs) return false;
    this.close();
    // Its socket is not reading: a close handshake would wait behind the unread data.
    this.ws.terminate();
    this.options.onSlowClose?.();
    return true;
  }

  close(): void {
    this.closed = true;
    this.queue.length = 0;
  }

  get queued(): number {
    return this.queue.length;
  }

  private flush(): void {
    const limit = this.options.maxInFlightBytes ?? 1 << 20;
    while (!this.closed && this.queue.length && this.inFlightBytes < limit) this.write(this.queue.shift()!);
    if (this.queue.length === 0 && this.droppedSinceNotice > 0 && this.inFlightBytes < limit) {
      const count = this.droppedSinceNotice;
      this.droppedSinceNotice = 0;
      this.behindSince = undefined;
      this.write(JSON.stringify({ type: 'dropped', wallTimeMs: Date.now(), count }));
    }
  }

  private write(message: string): void {
    const bytes = Buffer.byteLength(message);
    this.inFlightBytes += bytes;
    this.ws.send(message, (err) => {
      this.inFlightBytes -= bytes;
      if (err) this.close();
      else this.flush();
    });
  }
}
