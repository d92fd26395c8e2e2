// The layer check `npm test` runs (dependency-cruiser): imports run down the layers, never up, and close
// no circle. The order is written once, here, lowest first; folders on one line are peers that do not
// import each other (the capabilities: batch, serve, train).
const LAYERS = [['util'], ['image'], ['video'], ['models'], ['detection'], ['tracking'], ['pipeline'], ['sinks'], ['eval'], ['batch', 'serve', 'train', 'samples'], ['cli']];

const folder = (names) => `^src/(${names.join('|')})/`;
const upward = LAYERS.flatMap((layer, i) => {
  const above = LAYERS.slice(i + 1).flat();
  return layer.map((name) => ({
    name: `${name}-imports-upward`,
    comment: `src/${name} sits below ${above.join(', ')} (layer order in .dependency-cruiser.cjs); move the shared part down instead`,
    severity: 'error',
    from: { path: `^src/${name}/` },
    to: { path: [folder(above), ...layer.filter((peer) => peer !== name).map((peer) => `^src/${peer}/`)] },
  }));
}).filter((rule) => rule.to.path[0] !== '^src/()/' || rule.to.path.length > 1);

module.exports = {
  forbidden: [
    { name: 'no-circular', comment: 'a circle of imports: one of them belongs in a file of its own', severity: 'error', from: { path: '^src/' }, to: { circular: true } },
    { name: 'src-imports-scripts-or-tests', comment: 'product logic lives in src/ and never reaches into scripts/ or test/', severity: 'error', from: { path: '^src/' }, to: { path: '^(scripts|test)/' } },
    { name: 'unknown-folder', comment: 'every folder of src/ has its place in LAYERS', severity: 'error', from: { path: '^src/', pathNot: folder(LAYERS.flat()) }, to: {} },
    ...upward,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    exclude: { path: '^dist/' },
  },
};
