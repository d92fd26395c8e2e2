import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { canonicalLabel, type CanonicalLabel } from '../models/labels.js';
import { IMAGE_EXTENSIONS, isImageName, naturalCompare, VIDEO_EXTENSIONS } from '../util/mediaNames.js';
import { InputError } from '../util/inputError.js';

/** One face crop to score: the name written to the output, its file, and its class when the layout says. */
export interface FaceCropItem {
  name: string;
  path: string;
  label?: CanonicalLabel;
}

/**
 * Lists the face crops of an input, in the order outputs are written:
 * - a release-list file (header `image,expression` or `image`): its order, names relative to the list;
 * - a flat folder of images: natural order;
 * - a class-folder tree (`<CLASS>/*.jpg`, ABAW4 LSD and FER2013 layout): classes then files, natural order,
 *   names `<CLASS>/<file>`, labels from the folder names.
 */
export function listFaceCrops(input: string): FaceCropItem[] {
  const path = resolve(input);
  if (!existsSync(path)) throw new InputError(`--input ${input}: no such file or folder`);
  const st = statSync(path);
  if (st.isFile()) return readReleaseList(path);
  const entries = readdirSync(path, { withFileTypes: true }).filter((e) => !e.name.startsWith('.'));
  const files = entries
    .filter((e) => e.isFile() && isImageName(e.name))
    .map((e) => e.name)
    .sort(naturalCompare);
  const dirs = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort(naturalCompare);
  if (files.length > 0) return files.map((name) => ({ name, path: join(path, name) }));
  const items: FaceCropItem[] = [];
  for (const dir of dirs) {
    const label = canonicalLabel(dir);
    const inner = readdirSync(join(path, dir))
      .filter((n) => !n.startsWith('.') && isImageName(n))
      .sort(naturalCompare);
    for (const name of inner) items.push({ name: `${dir}/${name}`, path: join(path, dir, name), label });
  }
  if (items.length === 0) {
    throw new InputError(
      `--input ${input}: no images (${[...IMAGE_EXTENSIONS].join(' ')}) in the folder or its class folders, and no videos (${[...VIDEO_EXTENSIONS].join(' ')})`,
    );
  }
  return items;
}

function readReleaseList(file: string): FaceCropItem[] {
  if (isImageName(file)) return [{ name: basename(file), path: file }];
  const lines = readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  const header = lines[0]?.split(',').map((h) => h.trim().toLowerCase());
  if (!header || header[0] !== 'image') {
    throw new InputError(`--input ${file}: not an image, a folder or a release list (first line must be "image,expression")`);
  }
  const base = dirname(file);
  const items = lines.slice(1).map((line) => {
    const name = line.split(',')[0].trim();
    return { name, path: resolve(base, name) };
  });
  if (items.length === 0) throw new InputError(`--input ${file}: the release list names no images`);
  const missing = items.filter((it) => !existsSync(it.path) || !statSync(it.path).isFile());
  if (missing.length) {
    throw new InputError(`--input ${file}: ${missing.length} listed image(s) have no file: ${listSome(missing.map((m) => m.name))}`);
  }
  return items;
}

/** Names listed more than once (a release list may repeat an image), with how often each appears. */
export function repeatedNames(items: FaceCropItem[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const it of items) counts.set(it.name, (counts.get(it.name) ?? 0) + 1);
  return new Map([...counts].filter(([, n]) => n > 1));
}

/** The first few of a long list, for one-line error messages. */
export function listSome(names: string[], max = 10): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')}, ... (${names.length - max} more)`;
}
