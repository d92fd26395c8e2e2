#!/usr/bin/env node
import { ensureAllBuiltinModels } from '../models/import/modelImporter.js';
import { serve, SERVE_HELP } from './serveCommand.js';
import { batch, BATCH_HELP, merge } from './batchCommand.js';
import { train, TRAIN_HELP } from './trainCommand.js';
import { HELP } from './helpText.js';
import { score } from './scoreCommand.js';
import { evaluate } from './evalCommand.js';
import { debugEnv, reportFailure } from './reportFailure.js';

/** The command line: dispatch to each command, help, and one line for any failure. */
export async function main(argv: string[]): Promise<number> {
  const verbose = argv.includes('--verbose') || debugEnv();
  argv = argv.filter((a) => a !== '--verbose');
  try {
    const [command, ...rest] = argv;
    if (argv.includes('--help') || argv.includes('-h') || argv.length === 0) {
      process.stdout.write(
        (command === 'serve'
          ? SERVE_HELP
          : command === 'batch' || command === 'merge'
            ? BATCH_HELP
            : command === 'train'
              ? TRAIN_HELP
              : HELP) + '\n',
      );
      return argv.length === 0 ? 2 : 0;
    }
    if (command === 'serve') return await serve(rest);
    if (command === 'batch') return await batch(rest);
    if (command === 'merge') return merge(rest);
    if (command === 'train') return await train(rest);
    if (command === 'eval') evaluate(rest);
    else if (command === 'models') {
      const paths = ensureAllBuiltinModels();
      for (const [id, path] of Object.entries(paths)) process.stdout.write(`${id}\t${path}\n`);
    } else await score(command === 'score' ? rest : argv);
    return 0;
  } catch (err) {
    return reportFailure(err, verbose);
  }
}
