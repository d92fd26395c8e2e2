import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import type { Provider } from './device.js';

const require = createRequire(import.meta.url);

/** A session created with ORT's verbose log, in a child process, only to hear its placement report. */
const PROBE = `const ort = require(process.argv[1]);
ort.InferenceSession.create(process.argv[2], { executionProviders: [process.argv[3]], logSeverityLevel: 0, logVerbosityLevel: 0 })
  .then(() => process.exit(0), (e) => { console.error(e.message); process.exit(1); });`;

/**
 * The nodes of `model` that ONNX Runtime places on its CPU provider when the session is on `provider` (a kernel
 * the GPU provider lacks: every batch then copies off the GPU and back). ORT says so only in its verbose log,
 * which it writes to the process's own stderr, out of reach of JavaScript; so a child process creates the
 * session once more with that log on and the report is read from it. Empty when it cannot tell.
 */
export function cpuPlacedNodes(model: string, provider: Exclude<Provider, 'cpu'>): Promise<string[]> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['-e', PROBE, require.resolve('onnxruntime-node'), model, provider],
      { maxBuffer: 64 * 1024 * 1024, timeout: 300_000 },
      (err, _stdout, stderr) => resolve(err ? [] : parsePlacement(String(stderr))),
    );
  });
}

/** "Op (node name)" for each node ORT's report lists under [CPUExecutionProvider]. */
export function parsePlacement(log: string): string[] {
  const nodes: string[] = [];
  let onCpu = false;
  for (const line of log.split('\n')) {
    const header = /placed on \[(\w+)\]/.exec(line);
    if (header) {
      onCpu = header[1] === 'CPUExecutionProvider' && !/All nodes placed/.test(line);
      continue;
    }
    const node = /VerifyEachNodeIsAssignedToAnEp\]\s+(\S+ \(.*\))\s*$/.exec(line);
    if (onCpu && node) nodes.push(node[1]);
    else if (!node) onCpu = false;
  }
  return nodes;
}

/**
 * The start-up line about what ran where under a GPU provider: the nodes left on the CPU, by model, or that
 * there are none. Undefined when nothing was loaded on a GPU provider.
 */
export function placementLine(placements: ReadonlyMap<string, { provider: Provider; cpuNodes: string[] }>): string | undefined {
  const onGpu = [...placements].filter(([, p]) => p.provider !== 'cpu');
  if (!onGpu.length) return undefined;
  const left = onGpu.filter(([, p]) => p.cpuNodes.length);
  const providers = [...new Set(onGpu.map(([, p]) => p.provider))].join(', ');
  if (!left.length) return `every node of ${onGpu.length} model(s) runs on ${providers} (ONNX Runtime's placement report)`;
  return `ONNX Runtime runs these nodes on the CPU, not on ${providers}: ${left.map(([key, p]) => `${key}: ${p.cpuNodes.join(', ')}`).join('; ')}`;
}
