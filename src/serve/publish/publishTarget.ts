/**
 * Where `--publish <url>` / `publish:` sends each stream's messages: an MQTT broker or a NATS server, and the
 * topic (subject) prefix. Validated once, at start: one line names what is wrong.
 *   mqtt://host:port/<prefix>   topics <prefix>/<stream>/frames, .../status, retained .../state
 *   nats://host:port/<prefix>   subjects <prefix>.<stream>.frames, .status, .state
 */
export interface PublishTarget {
  kind: 'mqtt' | 'nats';
  /** The broker's URL without the prefix (credentials kept: the client needs them). */
  server: string;
  /** Topic or subject prefix, in the broker's own separator (`a/b` for MQTT, `a.b` for NATS). */
  prefix: string;
  /** For logs and metric labels: scheme, host, port and prefix, never credentials. */
  label: string;
}

const DEFAULT_PORTS = { mqtt: 1883, nats: 4222 } as const;

export function parsePublishTarget(text: string): PublishTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new RangeError(`"${text}" is not a URL (expected mqtt://host:port/prefix or nats://host:port/prefix)`);
  }
  const kind = url.protocol.replace(/:$/, '');
  if (kind !== 'mqtt' && kind !== 'nats') throw new RangeError(`"${redact(url)}": only mqtt:// and nats:// are supported`);
  if (!url.hostname) throw new RangeError(`"${redact(url)}": no host`);
  if (url.search || url.hash || text.includes('#') || text.includes('?'))
    throw new RangeError(`"${redact(url)}": no query or fragment expected`);
  const path = decodeURIComponent(url.pathname.replace(/^\/+|\/+$/g, ''));
  if (!path) throw new RangeError(`"${redact(url)}": give a topic prefix as the path, e.g. ${kind}://${url.host}/fer-stream`);
  // Wildcards and separators of the other protocol would publish where subscribers do not look.
  if (!/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/.test(path))
    throw new RangeError(`"${redact(url)}": the prefix may hold letters, digits, "_", "-" and "/" between parts`);
  const port = url.port || String(DEFAULT_PORTS[kind]);
  const auth = url.username ? `${url.username}${url.password ? `:${url.password}` : ''}@` : '';
  return {
    kind,
    server: `${kind}://${auth}${url.hostname}:${port}`,
    prefix: kind === 'mqtt' ? path : path.replaceAll('/', '.'),
    label: `${kind}://${url.hostname}:${port}/${path}`,
  };
}

/** The topic (MQTT) or subject (NATS) of one stream's messages of one kind. */
export function publishTopic(target: PublishTarget, stream: string, kind: PublishKind): string {
  // Stream names may hold '.', NATS's separator: it becomes '_' there.
  return target.kind === 'mqtt' ? `${target.prefix}/${stream}/${kind}` : `${target.prefix}.${stream.replaceAll('.', '_')}.${kind}`;
}

/** `frames`: every labelled frame (QoS 0); `status`: a stream's state changes (QoS 1); `state`: the latest status, retained. */
export type PublishKind = 'frames' | 'status' | 'state';

function redact(url: URL): string {
  return `${url.protocol}//${url.hostname}${url.port ? `:${url.port}` : ''}${url.pathname}`;
}
