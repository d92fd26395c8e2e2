import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { IMAGE_EXTENSIONS, isVideoName, naturalCompare } from '../util/mediaNames.js';

/**
 * What `--input` names: one video file, a folder of videos (a test set, scored one by one), or face
 * crops (a folder of images, a class-folder tree or a release list). A path that does not exist, or a
 * folder named like a video, counts as a video so the video reader reports it clearly.
 */
export type InputKind = { kind: 'video'; path: string } | { kind: 'videos'; paths: string[] } | { kind: 'crops' };

export function classifyInput(path: string): InputKind {
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    return extname(path).toLowerCase() === '.txt' ? { kind: 'crops' } : { kind: 'video', path };
  }
  if (!isDir)
    return IMAGE_EXTENSIONS.has(extname(path).toLowerCase()) || ['.txt', '.csv'].includes(extname(path).toLowerCase())
      ? { kind: 'crops' }
      : { kind: 'video', path };
  if (isVideoName(path)) return { kind: 'video', path };
  const entries = readdirSync(path);
  const videos = entries.filter(isVideoName).sort(naturalCompare);
  const images = entries.filter((n) => IMAGE_EXTENSIONS.has(extname(n).toLowerCase()));
  return videos.length > 0 && images.length === 0 ? { kind: 'videos', paths: videos.map((v) => join(path, v)) } : { kind: 'crops' };
}
