/**
 * A node:test reporter for CI: per test file, its top-level tests passed, failed and skipped, and the time
 * they took, as a Markdown table (slowest first), so that CI says where its minutes go.
 *   node --test --test-reporter=spec --test-reporter-destination=stdout \
 *     --test-reporter=./dist/scripts/ciSummaryReporter.js --test-reporter-destination=test-output/ci-summary.md
 */
interface TestEvent {
  type: string;
  data: { file?: string; nesting?: number; name?: string; skip?: unknown; todo?: unknown; details?: { duration_ms?: number } };
}

interface FileSummary {
  passed: number;
  failed: number;
  skipped: number;
  ms: number;
  failures: string[];
}

export default async function* ciSummary(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  const files = new Map<string, FileSummary>();
  const started = Date.now();
  for await (const event of source) {
    if ((event.type !== 'test:pass' && event.type !== 'test:fail') || event.data.nesting !== 0) continue;
    const file = (event.data.file ?? '(unknown)').replace(/^.*\/dist\//, '');
    const f = files.get(file) ?? { passed: 0, failed: 0, skipped: 0, ms: 0, failures: [] };
    if (event.data.skip !== undefined || event.data.todo !== undefined) f.skipped++;
    else if (event.type === 'test:pass') f.passed++;
    else {
      f.failed++;
      f.failures.push(event.data.name ?? '');
    }
    f.ms += event.data.details?.duration_ms ?? 0;
    files.set(file, f);
  }
  const rows = [...files.entries()].sort((a, b) => b[1].ms - a[1].ms);
  const total = rows.reduce((a, [, f]) => ({ passed: a.passed + f.passed, failed: a.failed + f.failed, skipped: a.skipped + f.skipped }), {
    passed: 0,
    failed: 0,
    skipped: 0,
  });
  yield `# CI test summary\n\n${new Date().toISOString()}: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped in ${((Date.now() - started) / 1000).toFixed(0)} s\n\n`;
  yield '| test file | passed | failed | skipped | seconds |\n|---|---|---|---|---|\n';
  for (const [file, f] of rows) yield `| ${file} | ${f.passed} | ${f.failed} | ${f.skipped} | ${(f.ms / 1000).toFixed(1)} |\n`;
  const failing = rows.filter(([, f]) => f.failed);
  if (failing.length) yield `\nFailed:\n${failing.flatMap(([file, f]) => f.failures.map((n) => `- ${file}: ${n}`)).join('\n')}\n`;
}
