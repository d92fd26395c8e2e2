import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The daemon's Prometheus metrics (prom-client): per stream frames decoded/labelled/dropped, faces,
 * reconnects, stalls, fps and state; the inference queue; frame-to-message latency; WebSocket clients and
 * the messages they lost; brokers' messages, drops and connection; process metrics. Names follow Prometheus
 * conventions (prefix, base units, `_total` counters); labels are the stream's name or the publisher's URL
 * (without credentials), both from the config (bounded).
 */
export class LiveMetrics {
  readonly registry = new Registry();
  readonly framesDecoded = this.counter('fer_stream_frames_decoded_total', 'Frames delivered by the source.');
  readonly framesLabelled = this.counter('fer_stream_frames_labelled_total', 'Frames labelled and published.');
  readonly framesDropped = this.counter(
    'fer_stream_frames_dropped_total',
    'Frames dropped unlabelled because labelling was behind (newest wins).',
  );
  readonly faces = this.counter('fer_stream_faces_total', 'Faces published.');
  readonly reconnects = this.counter('fer_stream_reconnects_total', 'Connection attempts after the first.');
  readonly stalls = this.counter('fer_stream_stalls_total', 'Times no frame came for stallSeconds and the source was restarted.');
  readonly fps = new Gauge({
    name: 'fer_stream_labelled_fps',
    help: 'Frames labelled per second over the last few seconds.',
    labelNames: ['stream'],
    registers: [this.registry],
  });
  readonly up = new Gauge({
    name: 'fer_stream_stream_up',
    help: '1 while the stream delivers frames, else 0.',
    labelNames: ['stream'],
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'fer_stream_frame_to_message_latency_seconds',
    help: 'From a frame leaving the decoder to its message being published.',
    labelNames: ['stream'],
    buckets: [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly inferenceQueue = new Gauge({
    name: 'fer_stream_inference_queue_depth',
    help: 'Inference requests waiting or running.',
    registers: [this.registry],
  });
  readonly clients = new Gauge({ name: 'fer_stream_ws_clients', help: 'Connected WebSocket clients.', registers: [this.registry] });
  readonly clientDrops = new Counter({
    name: 'fer_stream_ws_messages_dropped_total',
    help: "Messages dropped from slow clients' queues.",
    registers: [this.registry],
  });
  readonly clientsClosedSlow = new Counter({
    name: 'fer_stream_ws_clients_closed_slow_total',
    help: 'Clients closed for staying behind.',
    registers: [this.registry],
  });

  readonly previewViewers = new Gauge({
    name: 'fer_stream_preview_viewers',
    help: 'MJPEG previews being watched.',
    registers: [this.registry],
  });
  readonly published = new Counter({
    name: 'fer_stream_publish_messages_total',
    help: 'Messages handed to a broker (MQTT/NATS).',
    labelNames: ['publisher'],
    registers: [this.registry],
  });
  readonly publishDropped = new Counter({
    name: 'fer_stream_publish_dropped_total',
    help: "Messages dropped because a broker was away or slow (its publisher's queue was full).",
    labelNames: ['publisher'],
    registers: [this.registry],
  });
  readonly publisherUp = new Gauge({
    name: 'fer_stream_publisher_connected',
    help: '1 while the publisher is connected to its broker, else 0.',
    labelNames: ['publisher'],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'fer_stream_' });
  }

  private counter(name: string, help: string) {
    return new Counter({ name, help, labelNames: ['stream'], registers: [this.registry] });
  }
}
