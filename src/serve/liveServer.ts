import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { PACKAGE_ROOT } from '../util/paths.js';
import { ClientChannel } from './clientChannel.js';
import type { LiveMetrics } from './liveMetrics.js';
import type { LiveMessage } from './liveMessages.js';
import { hostHeaderAllowed } from './hostCheck.js';
import { isLoopback, type ServeConfig } from './serveConfig.js';
import { routePreview, type PreviewLookup } from './previewRoutes.js';

/** What the HTTP endpoints report; provided by the daemon. */
export interface LiveState {
  ready: () => boolean;
  streams: () => { name: string; state: string; fps: number; width: number; height: number; counts: Record<string, number> }[];
  /** The latest status message of each stream, sent to a client when it connects. */
  statuses: () => LiveMessage[];
  /** The inference pool's health: crashed workers are replaced, and /readyz says so meanwhile. */
  inference: () => { healthy: boolean; workerRestarts: number; lastCrash?: string; providers: Record<string, string> };
  /** A stream's preview, or why there is none (previewRoutes.ts's PreviewLookup). */
  preview: (stream: string) => PreviewLookup;
}

interface Client {
  ws: WebSocket;
  channel: ClientChannel;
  stream?: string;
  landmarks: boolean;
  alive: boolean;
}

/** The dashboard's credential once a page was opened with `?token=`: its scripts and socket carry it from then on. */
export const TOKEN_COOKIE = 'fer_stream_token';

const DASHBOARD = join(PACKAGE_ROOT, 'src', 'serve', 'dashboard');
const STATIC: Record<string, [file: string, type: string]> = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/dashboard.js': ['dashboard.js', 'text/javascript; charset=utf-8'],
  '/dashboard.css': ['dashboard.css', 'text/css; charset=utf-8'],
};

/**
 * The daemon's HTTP and WebSocket server: `/ws` (all streams, or `?stream=<name>`, `&landmarks=1`), the
 * dashboard at `/`, `/healthz`, `/readyz`, `/metrics`. With a token (required off loopback) every route but
 * the health checks needs it (`Authorization: Bearer`, `?token=`, or the cookie the dashboard page sets), and a
 * browser's Origin must be the daemon's own or an allowed one. On loopback the Host header must name this
 * machine (or an `allowedHosts` entry), so a page on another site cannot reach the daemon by DNS rebinding. Each client has its own bounded queue (ClientChannel); clients beyond `maxClients` are refused.
 */
export class LiveServer {
  private readonly http: Server;
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  private readonly clients = new Set<Client>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly needsToken: boolean;
  /** MJPEG previews being watched: ended on shutdown. */
  private readonly previewViewers = new Set<ServerResponse>();

  constructor(
    private readonly config: ServeConfig,
    private readonly metrics: LiveMetrics,
    private readonly state: LiveState,
  ) {
    this.needsToken = !isLoopback(config.host) || Boolean(config.token);
    this.http = createServer((req, res) => void this.route(req, res));
    this.http.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
    // ws README's heartbeat: a client that does not answer a ping within the interval is gone.
    this.heartbeat = setInterval(() => {
      for (const c of this.clients) {
        if (c.channel.checkBehind()) continue;
        if (!c.alive) c.ws.terminate();
        else {
          c.alive = false;
          c.ws.ping();
        }
      }
    }, 1000);
    this.heartbeat.unref();
  }

  listen(): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.config.port, this.config.host, () => {
        const addr = this.http.address();
        resolve({ host: this.config.host, port: typeof addr === 'object' && addr ? addr.port : this.config.port });
      });
    });
  }

  /** Sends a message to every client that wants it (all streams, or its own). */
  publish(message: LiveMessage, stream?: string, landmarksVariant?: () => LiveMessage): void {
    let plain: string | undefined;
    let withMarks: string | undefined;
    for (const c of this.clients) {
      if (stream && c.stream && c.stream !== stream) continue;
      if (c.landmarks && landmarksVariant) c.channel.send((withMarks ??= JSON.stringify(landmarksVariant())));
      else c.channel.send((plain ??= JSON.stringify(message)));
    }
  }

  /** Stops accepting, closes every client with 1001 (going away), then the HTTP server. */
  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    for (const res of this.previewViewers) res.end();
    for (const c of this.clients) {
      c.channel.close();
      c.ws.close(1001, 'server shutting down');
    }
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        for (const c of this.clients) c.ws.terminate();
        resolve();
      }, 1000);
      force.unref();
      this.wss.close(() => {
        clearTimeout(force);
        resolve();
      });
      if (this.clients.size === 0) resolve();
    });
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  private authorised(req: IncomingMessage, url: URL): boolean {
    if (!this.needsToken) return true;
    // The scheme is case-insensitive (RFC 9110 11.1); the token is compared in constant time.
    const bearer = /^bearer[ \t]+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
    const given = bearer ?? url.searchParams.get('token') ?? cookie(req, TOKEN_COOKIE);
    return given !== undefined && given !== null && sameSecret(given, this.config.token ?? '');
  }

  private hostAllowed(req: IncomingMessage): boolean {
    return hostHeaderAllowed(req.headers.host, this.config.host, this.config.allowedHosts);
  }

  /** Browsers send Origin; it must be this daemon (same host:port) or an allowed origin. Other clients send none. */
  private originAllowed(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (!origin) return true;
    if (this.config.allowOrigins.includes(origin)) return true;
    try {
      return new URL(origin).host === req.headers.host;
    } catch {
      return false;
    }
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const refuse = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (!this.hostAllowed(req)) return refuse(421, 'Misdirected Request');
    if (url.pathname !== '/ws') return refuse(404, 'Not Found');
    if (!this.authorised(req, url)) return refuse(401, 'Unauthorized');
    if (!this.originAllowed(req)) return refuse(403, 'Forbidden');
    if (this.clients.size >= this.config.maxClients) return refuse(503, 'Service Unavailable');
    const stream = url.searchParams.get('stream') ?? undefined;
    if (stream && !this.state.streams().some((s) => s.name === stream)) return refuse(404, 'Not Found');
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const client: Client = {
        ws,
        stream,
        landmarks: url.searchParams.get('landmarks') === '1',
        alive: true,
        channel: new ClientChannel(ws, {
          maxQueued: this.config.clientQueue,
          closeAfterBehindMs: this.config.slowClientCloseSeconds * 1000,
          onDrop: (n) => this.metrics.clientDrops.inc(n),
          onSlowClose: () => this.metrics.clientsClosedSlow.inc(),
        }),
      };
      this.clients.add(client);
      this.metrics.clients.set(this.clients.size);
      ws.on('pong', () => (client.alive = true));
      ws.on('message', () => undefined); // clients have nothing to say; maxPayload bounds what they try
      const gone = () => {
        client.channel.close();
        this.clients.delete(client);
        this.metrics.clients.set(this.clients.size);
      };
      ws.on('close', gone);
      ws.on('error', gone);
      for (const s of this.state.statuses())
        if (!stream || (s as { stream?: string }).stream === stream) client.channel.send(JSON.stringify(s));
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (status: number, type: string, body: string | Buffer) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
      res.end(body);
    };
    if (!this.hostAllowed(req)) return send(421, 'text/plain', 'this daemon answers only to its own host names (allowedHosts)\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'GET only\n');
    if (url.pathname === '/healthz') return send(200, 'application/json', JSON.stringify({ ok: true }) + '\n');
    if (url.pathname === '/readyz') {
      const streams = this.state.streams().map(({ name, state, fps }) => ({ name, state, fps: Number(fps.toFixed(1)) }));
      const ready = this.state.ready();
      return send(
        ready ? 200 : 503,
        'application/json',
        JSON.stringify({ ready, modelsLoaded: ready, inference: this.state.inference(), streams }) + '\n',
      );
    }
    if (!this.authorised(req, url)) return send(401, 'text/plain', 'token required: Authorization: Bearer <token> or ?token=<token>\n');
    if (url.pathname === '/metrics') return send(200, this.metrics.registry.contentType, await this.metrics.registry.metrics());
    if (url.pathname === '/streams') return send(200, 'application/json', JSON.stringify(this.state.streams()) + '\n');
    if (routePreview(req, res, url.pathname, this.state.preview, this.previewViewers, (d) => this.metrics.previewViewers.inc(d))) return;
    const file = STATIC[url.pathname];
    if (file) {
      // A page opened with ?token= keeps it as a cookie its own scripts, styles and socket then carry;
      // HttpOnly (scripts cannot read it), SameSite=Strict (no other site's page sends it).
      const token = url.searchParams.get('token');
      if (token && this.needsToken)
        res.setHeader('set-cookie', `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`);
      return send(200, file[1], readFileSync(join(DASHBOARD, file[0])));
    }
    send(404, 'text/plain', 'not found\n');
  }
}

/** A cookie's value from the request, if sent. */
function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) {
      try {
        return decodeURIComponent(value.join('='));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && b.length > 0 && timingSafeEqual(a, b);
}
