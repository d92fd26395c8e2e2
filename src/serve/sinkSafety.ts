import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DEFAULT_MANIFEST } from '../models/defaultManifest.js';
import { loadManifest } from '../models/manifest.js';
import { runInputs } from '../models/runInputs.js';
import { assertWritable, OutputError } from '../util/outputSafety.js';
import { ConfigError, type ServeConfig } from './serveConfig.js';

/**
 * File mode's output rules for every sink of every stream, checked before the models load: a sink (or a
 * file it rotates to, `<path>.1` ...) is never an input of the daemon (a stream's source, a manifest, a
 * model) nor another sink's file, and its folder exists (made, as file mode makes it) and accepts files.
 */
export function checkSinks(config: ServeConfig): void {
  const sinks = config.streams.flatMap((stream, s) =>
    stream.sinks.map((sink, k) => ({ stream, sink, field: `streams[${s}].sinks[${k}].path` })),
  );
  if (!sinks.length) return;
  const manifests = [...new Set(config.streams.map((s) => s.manifest ?? DEFAULT_MANIFEST))];
  const inputs = runInputs(
    manifests.map((m) => loadManifest(m)),
    ...config.streams.map((s) => s.source),
  );
  const owner = new Map<string, string>();
  for (const { stream, sink, field } of sinks) {
    const files = [sink.path, ...Array.from({ length: sink.keep }, (_, i) => `${sink.path}.${i + 1}`)];
    for (const file of files) {
      const key = resolve(file);
      const other = owner.get(key);
      if (other) throw new ConfigError(`${field}: ${file} is also written by ${other}; each sink needs its own file`);
      owner.set(key, `${field} (stream ${stream.name})`);
    }
    try {
      inputs.refuseOverwrite(files, field);
      assertWritable(sink.path, false, field);
      mkdirSync(dirname(sink.path), { recursive: true });
    } catch (err) {
      if (err instanceof OutputError) throw new ConfigError(err.message);
      throw new ConfigError(`${field}: cannot make its folder (${(err as Error).message})`);
    }
  }
}
