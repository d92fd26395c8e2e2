#!/usr/bin/env node
// Loading the program takes about a second (ONNX Runtime, sharp); a SIGTERM or SIGINT in that second
// finds nothing started yet, so the daemon exits 0 as it does for a signal later (serve installs its own
// handlers in place of these). Other commands keep the default (the signal ends them).
if (process.argv[2] === 'serve') {
  for (const signal of ['SIGTERM', 'SIGINT']) {
    process.on(signal, () => {
      process.stderr.write(`fer-stream: ${signal} before the daemon started: exiting\n`);
      process.exit(0);
    });
  }
}
const { main } = await import('../dist/src/cli/main.js');

process.exitCode = await main(process.argv.slice(2));
