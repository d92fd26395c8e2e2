import mqtt, { type MqttClient } from 'mqtt';
import { Publisher, RECONNECT_INITIAL_MS, RECONNECT_MAX_MS, type PublisherHooks, type QueuedMessage } from './publisher.js';
import type { PublishTarget } from './publishTarget.js';

/** Bytes waiting in the socket above which the broker counts as slow (messages wait in the bounded queue). */
const MAX_SOCKET_BACKLOG = 1 << 20;

/**
 * MQTT (the `mqtt` package): frames at QoS 0, status at QoS 1, the latest status retained under `state` so a
 * new subscriber knows each stream's state at once. mqtt.js's own reconnect timer has a fixed period; this one
 * backs off (0.5 s doubling to 30 s) and logs each state change once.
 */
export class MqttPublisher extends Publisher {
  private readonly client: MqttClient;
  private delay = RECONNECT_INITIAL_MS;
  private retry?: NodeJS.Timeout;
  private up = false;
  private closing = false;

  constructor(target: PublishTarget, hooks: PublisherHooks, maxQueue?: number) {
    super(target, hooks, maxQueue);
    this.client = mqtt.connect(target.server, {
      clientId: `fer-stream-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      // Offline messages wait in Publisher's bounded queue, not in mqtt.js's unbounded one.
      queueQoSZero: false,
    });
    this.client.on('connect', () => {
      this.up = true;
      this.delay = RECONNECT_INITIAL_MS;
      this.hooks.connected(true);
      this.hooks.log(`${target.label}: connected`);
      this.flush();
    });
    this.client.on('close', () => {
      if (this.up) this.hooks.log(`${target.label}: connection lost; reconnecting`);
      this.up = false;
      this.hooks.connected(false);
      this.scheduleReconnect();
    });
    // Errors (refused, reset) are followed by 'close'; logged there, once per state change.
    this.client.on('error', () => undefined);
  }

  private scheduleReconnect(): void {
    if (this.closing || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      if (!this.closing) this.client.reconnect();
    }, this.delay);
    this.retry.unref();
    this.delay = Math.min(RECONNECT_MAX_MS, this.delay * 2);
  }

  protected writable(): boolean {
    return this.up && this.client.connected && (this.client.stream?.writableLength ?? 0) < MAX_SOCKET_BACKLOG;
  }

  protected write(m: QueuedMessage): void {
    const qos = m.kind === 'frames' ? 0 : 1;
    this.client.publish(m.topic, m.payload, { qos, retain: m.kind === 'state' }, (err) => {
      if (err) this.hooks.dropped(1);
    });
    this.hooks.sent(1);
  }

  protected async disconnect(): Promise<void> {
    this.closing = true;
    clearTimeout(this.retry);
    await new Promise<void>((resolve) => this.client.end(false, {}, () => resolve()));
  }
}
