import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake in the command line: printed as one line with a pointer to --help, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

const NUMBER_LIKE = /^-(\d|\.\d)/;

/**
 * node's parseArgs with the command-line conventions fer-stream promises: a negative number after a
 * string option is its value (`--batch -1` reaches the option's own check, as `--batch=-1` does); a
 * single-valued option given twice (`--out a --out b`) is an error, not "the last one wins"; parse errors
 * are one line.
 */
export function parseOptions<O extends Options>(argv: string[], options: O) {
  const takesValue = new Set<string>();
  for (const [name, o] of Object.entries(options)) {
    if (o.type !== 'string') continue;
    takesValue.add(`--${name}`);
    if (o.short) takesValue.add(`-${o.short}`);
  }
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (takesValue.has(argv[i]) && i + 1 < argv.length && NUMBER_LIKE.test(argv[i + 1])) args.push(`${argv[i]}=${argv[++i]}`);
    else args.push(argv[i]);
  }
  let parsed;
  try {
    parsed = parseArgs({ args, options, tokens: true, strict: true, allowPositionals: false });
  } catch (err) {
    throw new UsageError(String((err as Error).message).split('\n')[0]);
  }
  const seen = new Map<string, string[]>();
  for (const t of parsed.tokens ?? []) {
    if (t.kind !== 'option' || options[t.name]?.type !== 'string' || options[t.name]?.multiple) continue;
    seen.set(t.name, [...(seen.get(t.name) ?? []), String(t.value)]);
  }
  for (const [name, values] of seen) {
    if (values.length > 1)
      throw new UsageError(`--${name} given ${values.length} times (${values.map((v) => `"${v}"`).join(', ')}); give it once`);
  }
  return parsed.values;
}
