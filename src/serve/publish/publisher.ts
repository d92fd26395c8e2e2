import { publishTopic, type PublishKind, type PublishTarget } from './publishTarget.js';

/** What a publisher reports: to the log (state changes, once each) and to the metrics. */
export interface PublisherHooks {
  log: (line: string) => void;
  sent: (count: number) => void;
  dropped: (count: number) => void;
  connected: (up: boolean) => void;
}

export interface QueuedMessage {
  topic: string;
  payload: string;
  kind: PublishKind;
}

/** Messages held while the broker is away or slow; beyond it the oldest are dropped (and counted). */
export const DEFAULT_PUBLISH_QUEUE = 1000;

/** First wait before reconnecting to a broker; doubled after each failure up to RECONNECT_MAX_MS. */
export const RECONNECT_INITIAL_MS = 500;
export const RECONNECT_MAX_MS = 30_000;

/**
 * A broker connection that never slows labelling: publish() only queues or writes, never waits. While the
 * broker is down or its socket is backed up, messages wait in a bounded queue (oldest dropped first, counted);
 * the queue is flushed, in order, once the broker takes messages again. Reconnecting is the subclass's job.
 */
export abstract class Publisher {
  private queue: QueuedMessage[] = [];
  private readonly flusher: NodeJS.Timeout;
  private droppedSinceLog = 0;

  constructor(
    readonly target: PublishTarget,
    protected readonly hooks: PublisherHooks,
    private readonly maxQueue = DEFAULT_PUBLISH_QUEUE,
  ) {
    // A socket that drained, or a reconnect: the queue goes out without waiting for the next message.
    this.flusher = setInterval(() => this.flush(), 100);
    this.flusher.unref();
  }

  publish(stream: string, kind: PublishKind, payload: string): void {
    const message = { topic: publishTopic(this.target, stream, kind), payload, kind };
    if (!this.queue.length && this.writable()) return this.write(message);
    this.queue.push(message);
    if (this.queue.length > this.maxQueue) {
      const over = this.queue.length - this.maxQueue;
      this.queue.splice(0, over);
      this.hooks.dropped(over);
      if (this.droppedSinceLog === 0)
        this.hooks.log(`${this.target.label}: broker not taking messages; dropping the oldest beyond ${this.maxQueue}`);
      this.droppedSinceLog += over;
    }
  }

  /** Messages waiting now. */
  get queued(): number {
    return this.queue.length;
  }

  protected flush(): void {
    while (this.queue.length && this.writable()) this.write(this.queue.shift()!);
    if (!this.queue.length && this.droppedSinceLog) {
      this.hooks.log(`${this.target.label}: publishing again (${this.droppedSinceLog} message(s) dropped meanwhile)`);
      this.droppedSinceLog = 0;
    }
  }

  async close(): Promise<void> {
    clearInterval(this.flusher);
    await this.disconnect();
  }

  /** The broker takes a message now without it piling up in memory. */
  protected abstract writable(): boolean;
  protected abstract write(message: QueuedMessage): void;
  protected abstract disconnect(): Promise<void>;
}
