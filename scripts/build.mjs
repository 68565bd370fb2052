// Bundles barkeep with esbuild into three parts, so that each kind of call parses only what it
// runs:
// - dist/barkeep.js (src/main.ts): the entry point alone, one file with no static imports. It
//   answers --version and picks one of the two parts below.
// - dist/lean.cjs (src/cli/lean-command.ts): archive_command's put-wal and restore_command's
//   get-wal, one process per WAL segment, as one CommonJS file loaded with a synchronous
//   require(). Node's ES module loader resolves, links and evaluates each module
//   asynchronously, which cost these calls about as much as Node's own start. pg and pino,
//   which only some calls need (first contact with the server, log_file), stay outside and are
//   required from node_modules when used.
// - dist/cli.js (src/cli/run-cli.ts): every command, split into chunks: each dynamic import()
//   in src/ becomes a chunk loaded only when used.
// Native addons and pg's optional native binding stay external: they are loaded from node_modules.
import { readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const common = {
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  legalComments: 'none',
  define: { __BARKEEP_VERSION__: JSON.stringify(version), __BARKEEP_BUNDLE__: 'true' },
  logLevel: 'warning',
};
const esm = {
  ...common,
  // pg probes for a Cloudflare Worker by touching the global Response, which makes Node 20 load
  // its whole fetch implementation (undici): 27 ms at every start that loads pg (profile of a
  // backup). Nothing in barkeep uses fetch; pg's probe is the bundle's only use of Response.
  define: { ...common.define, Response: 'undefined' },
  format: 'esm',
  external: ['pg-native', 'zstd-napi', 'lz4-napi'],
  // CommonJS dependencies bundled into an ES module still call require() for Node built-ins.
  banner: {
    js: "import { createRequire as __barkeepCreateRequire } from 'node:module'; const require = __barkeepCreateRequire(import.meta.url);",
  },
};

rmSync('dist', { recursive: true, force: true });
await build({ ...esm, entryPoints: { barkeep: 'src/main.ts' } });
await build({
  ...esm,
  entryPoints: { cli: 'src/cli/run-cli.ts' },
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
});
await build({
  ...common,
  entryPoints: { lean: 'src/cli/lean-command.ts' },
  outExtension: { '.js': '.cjs' },
  format: 'cjs',
  external: ['pg-native', 'zstd-napi', 'lz4-napi', 'pg', 'pino'],
});
