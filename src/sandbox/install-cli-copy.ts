import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BarkeepError } from '../errors/barkeep-error.ts';

/**
 * Packages the bundle keeps external; they travel with a copy of the CLI: the native addons, and
 * pg and pino, which the lean put-wal/get-wal file (dist/lean.cjs) requires only when a call
 * needs them (first contact with the server, log_file).
 */
const externalPackages = ['zstd-napi', 'lz4-napi', 'pg', 'pino'];

/**
 * The directory of barkeep's package.json, found upward from this module (it runs from `src/`
 * under tsx and bundled from `dist/`).
 */
export function packageRoot(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(directory, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'barkeep')
      return directory;
    const parent = dirname(directory);
    if (parent === directory) {
      throw new BarkeepError('internal', {
        what: 'cannot find barkeep',
        subject: fileURLToPath(import.meta.url),
        why: 'no barkeep package.json above this module',
      });
    }
    directory = parent;
  }
}

/**
 * Copies the built CLI (dist/, package.json and the external native addons with their
 * dependencies) into `directory`, world-readable, and writes an executable launcher there.
 * PostgreSQL runs archive_command and restore_command as its own OS user, which may not be able
 * to read the checkout (CI clones under a root-only directory): the demo and the tests give it
 * this copy. Returns the launcher's path.
 */
export function installCliCopy(directory: string): string {
  const root = packageRoot();
  const bundle = join(root, 'dist', 'barkeep.js');
  if (!existsSync(bundle)) {
    throw new BarkeepError('operationFailed', {
      what: 'cannot copy the CLI',
      subject: bundle,
      why: 'the bundle is not built',
      hint: 'Run npm run build.',
    });
  }
  cpSync(join(root, 'dist'), join(directory, 'dist'), { recursive: true });
  cpSync(join(root, 'package.json'), join(directory, 'package.json'));
  const copied = new Set<string>();
  for (const name of externalPackages) copyPackage(root, name, directory, copied);
  const launcher = join(directory, 'barkeep');
  writeFileSync(
    launcher,
    `#!/bin/sh\nexec ${shellQuote(process.execPath)} ${shellQuote(join(directory, 'dist', 'barkeep.js'))} "$@"\n`,
  );
  makeWorldReadable(directory);
  return launcher;
}

/** Copies node_modules/<name> and, recursively, its installed (optional) dependencies. */
function copyPackage(root: string, name: string, directory: string, copied: Set<string>): void {
  const source = join(root, 'node_modules', name);
  if (copied.has(name) || !existsSync(source)) return;
  copied.add(name);
  cpSync(source, join(directory, 'node_modules', name), { recursive: true, dereference: true });
  const manifest = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8')) as {
    dependencies?: object;
    optionalDependencies?: object;
  };
  for (const dependency of [
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.optionalDependencies ?? {}),
  ]) {
    copyPackage(root, dependency, directory, copied);
  }
}

function makeWorldReadable(path: string): void {
  const info = lstatSync(path);
  if (info.isSymbolicLink()) return;
  if (info.isDirectory()) {
    chmodSync(path, 0o755);
    for (const name of readdirSync(path)) makeWorldReadable(join(path, name));
  } else {
    chmodSync(path, (info.mode & 0o111) !== 0 || path.endsWith('/barkeep') ? 0o755 : 0o644);
  }
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
