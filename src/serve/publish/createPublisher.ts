import { MqttPublisher } from './mqttPublisher.js';
import { NatsPublisher } from './natsPublisher.js';
import type { Publisher, PublisherHooks } from './publisher.js';
import type { PublishTarget } from './publishTarget.js';

export function createPublisher(target: PublishTarget, hooks: PublisherHooks, maxQueue?: number): Publisher {
  return target.kind === 'mqtt' ? new MqttPublisher(target, hooks, maxQueue) : new NatsPublisher(target, hooks, maxQueue);
}
