import { connect, type NatsConnection } from 'nats';
import { Publisher, RECONNECT_INITIAL_MS, type PublisherHooks, type QueuedMessage } from './publisher.js';
import type { PublishTarget } from './publishTarget.js';

const encoder = new TextEncoder();

/**
 * NATS (the `nats` package): core publish on `<prefix>.<stream>.frames|status|state`. The client reconnects
 * for ever (with jitter); while it is away, messages wait in Publisher's bounded queue. A subscriber that never
 * reads is the server's problem (it cuts slow consumers off), never this process's.
 */
export class NatsPublisher extends Publisher {
  private connection?: NatsConnection;
  private up = false;
  private closing = false;
  constructor(target: PublishTarget, hooks: PublisherHooks, maxQueue?: number) {
    super(target, hooks, maxQueue);
    void this.open();
  }

  private async open(): Promise<void> {
    let announced = false;
    while (!this.closing && !this.connection) {
      try {
        this.connection = await connect({
          servers: this.target.server.replace(/^nats:\/\//, ''),
          name: 'fer-stream',
          reconnect: true,
          maxReconnectAttempts: -1,
          reconnectTimeWait: RECONNECT_INITIAL_MS * 2,
          timeout: 5000,
        });
      } catch (err) {
        if (!announced) this.hooks.log(`${this.target.label}: cannot connect (${(err as Error).message}); retrying`);
        announced = true;
        await new Promise((r) => setTimeout(r, RECONNECT_INITIAL_MS * 2).unref());
      }
    }
    if (!this.connection) return;
    if (this.closing) return void (await this.connection.close());
    this.setUp(true);
    void (async () => {
      for await (const s of this.connection!.status()) {
        if (s.type === 'disconnect') this.setUp(false);
        else if (s.type === 'reconnect') this.setUp(true);
      }
    })();
  }

  private setUp(up: boolean): void {
    if (up === this.up) return;
    this.up = up;
    this.hooks.connected(up);
    this.hooks.log(`${this.target.label}: ${up ? 'connected' : 'connection lost; reconnecting'}`);
    if (up) this.flush();
  }

  protected writable(): boolean {
    return this.up && this.connection !== undefined && !this.connection.isClosed();
  }

  protected write(m: QueuedMessage): void {
    try {
      this.connection!.publish(m.topic, encoder.encode(m.payload));
      this.hooks.sent(1);
    } catch {
      this.hooks.dropped(1);
    }
  }

  protected async disconnect(): Promise<void> {
    this.closing = true;
    const c = this.connection;
    if (!c || c.isClosed()) return;
    // Drain (what was published reaches the server) while connected, for at most 2 s; else just close.
    if (this.up) await Promise.race([c.drain().catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
    if (!c.isClosed()) await c.close();
  }
}
