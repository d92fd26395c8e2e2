import { ManifestError } from '../models/manifest.js';
import { isDeviceUnavailable } from '../models/ort/inferencePool.js';
import { InputError } from '../util/inputError.js';
import { OutputError } from '../util/outputSafety.js';
import { ConfigError } from '../serve/serveConfig.js';
import { UsageError } from './parseOptions.js';

/** Stack traces are for developers: printed only with --verbose or DEBUG=fer-stream. */
export const debugEnv = () => /(^|[,\s])(fer-stream|\*)([,\s]|$)/.test(process.env.DEBUG ?? '');

/** One line on stderr, and the exit code: 2 for a usage mistake, 1 for anything else. */
export function reportFailure(err: unknown, verbose: boolean): number {
  const e = (err instanceof Error ? err : new Error(String(err))) as Error & { code?: string };
  const usage =
    err instanceof UsageError ||
    err instanceof ConfigError ||
    (err instanceof OutputError && err.usage) ||
    Boolean(e.code?.startsWith('ERR_PARSE_ARGS'));
  const expected =
    usage || err instanceof InputError || err instanceof ManifestError || err instanceof OutputError || isDeviceUnavailable(err);
  const line = String(e.message || e.name).split('\n')[0];
  process.stderr.write(`fer-stream: ${expected ? line : `${e.name === 'Error' ? '' : `${e.name}: `}${line}`}\n`);
  if (usage) process.stderr.write('Run fer-stream --help for usage.\n');
  if (verbose && e.stack) process.stderr.write(`${e.stack}\n`);
  else if (!expected) process.stderr.write('(run with --verbose or DEBUG=fer-stream for the stack trace)\n');
  return usage ? 2 : 1;
}
