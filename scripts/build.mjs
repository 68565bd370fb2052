// Bundles src/main.ts into dist/barkeep.js with esbuild, split into chunks: every dynamic
// import() in src/ becomes a chunk loaded only when used, so `--version` and put-wal (one process
// per WAL segment) do not parse the code of commands they do not run.
// Native addons and pg's optional native binding stay external: they are loaded from node_modules.
import { readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: { barkeep: 'src/main.ts' },
  outdir: 'dist',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  legalComments: 'none',
  external: ['pg-native', 'zstd-napi', 'lz4-napi'],
  // CommonJS dependencies bundled into an ES module still call require() for Node built-ins.
  banner: {
    js: "import { createRequire as __barkeepCreateRequire } from 'node:module'; const require = __barkeepCreateRequire(import.meta.url);",
  },
  define: { __BARKEEP_VERSION__: JSON.stringify(version) },
  logLevel: 'warning',
});
