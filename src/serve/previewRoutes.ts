import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StreamPreview } from './streamPreview.js';

/** What a stream name finds: its preview, a preview turned off, one not running yet, or no stream. */
export type PreviewLookup = StreamPreview | 'off' | 'starting' | null;

/** Bytes an MJPEG viewer may leave unread before pictures are skipped for it (a slow viewer never piles up). */
const MAX_UNSENT = 1 << 20;

/**
 * `/streams/<name>/snapshot.jpg` (the newest labelled picture) and `/streams/<name>/preview.mjpeg` (multipart
 * MJPEG at the stream's previewFps, a picture only when there is a new one, for as long as the viewer stays).
 * `lookup` gives the stream's preview, `'off'` when the stream has it off, `'starting'` while the stream is
 * configured with a preview but not running yet (models loading), `null` for no such stream.
 * Returns false for any other path. `open` holds the MJPEG responses, so that shutdown can end them.
 */
export function routePreview(
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
  lookup: (stream: string) => PreviewLookup,
  open: Set<ServerResponse>,
  viewers: (delta: number) => void,
): boolean {
  const m = /^\/streams\/([^/]+)\/(snapshot\.jpg|preview\.mjpeg)$/.exec(pathname);
  if (!m) return false;
  const plain = (status: number, text: string) => {
    res.writeHead(status, { 'content-type': 'text/plain', 'cache-control': 'no-store' });
    res.end(text + '\n');
  };
  let name: string;
  try {
    name = decodeURIComponent(m[1]);
  } catch {
    plain(404, 'no such stream');
    return true;
  }
  const preview = lookup(name);
  if (preview === null) return (plain(404, `no stream "${name}"`), true);
  if (preview === 'off')
    return (plain(404, `the preview of "${name}" is off (preview: false, or bound off loopback without preview: true)`), true);
  if (preview === 'starting') {
    res.setHeader('retry-after', '1');
    return (plain(503, `"${name}" is starting (models loading); no picture yet`), true);
  }
  if (m[2] === 'snapshot.jpg') {
    const picture = preview.jpeg();
    if (!picture) {
      res.setHeader('retry-after', '1');
      return (plain(503, `no labelled picture of "${name}" yet`), true);
    }
    picture.jpeg.then(
      (data) => {
        // The frame it shows: its faces are that frame's message's (same boxes, IDs and labels).
        res.writeHead(200, {
          'content-type': 'image/jpeg',
          'content-length': data.length,
          'cache-control': 'no-store',
          'x-frame-index': String(picture.frameIndex),
        });
        res.end(req.method === 'HEAD' ? undefined : data);
      },
      (err: Error) => plain(500, `cannot render the preview: ${err.message}`),
    );
    return true;
  }
  res.writeHead(200, { 'content-type': 'multipart/x-mixed-replace; boundary=frame', 'cache-control': 'no-store', connection: 'close' });
  open.add(res);
  viewers(1);
  let sent = -1;
  let busy = false;
  const timer = setInterval(async () => {
    const current = preview.current;
    if (busy || !current || current.frameIndex === sent || res.writableLength > MAX_UNSENT) return;
    busy = true;
    busy = true;
    try {
      const picture = preview.jpeg()!;
      const data = await picture.jpeg;
      sent = picture.frameIndex;
      res.write(`--frame\r\nContent-Type: image/jpeg\r\nContent-Length: ${data.length}\r\n\r\n`);
      res.write(data);
      res.write('\r\n');
    } catch {
      // A picture that cannot be rendered is skipped; the next one is tried.
    } finally {
      busy = false;
    }
  }, 1000 / preview.fps);
  res.on('close', () => {
    clearInterval(timer);
    if (open.delete(res)) viewers(-1);
  });
  return true;
}
