// Test data and external-tool helpers for the compression tests.
import { spawnSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ThrowawayCluster } from '../support/cluster.ts';

/**
 * Deterministic data shaped like WAL: runs of repeated records with small changes, zero
 * padding and incompressible stretches, so every codec has real work and multi-block output.
 */
export function walLikeData(size: number, seed = 1): Buffer {
  const data = Buffer.alloc(size);
  let state = seed >>> 0 || 1;
  const next = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
  let offset = 0;
  while (offset < size) {
    const kind = next() % 4;
    const length = Math.min(size - offset, 256 + (next() % 8192));
    if (kind === 0) {
      for (let i = 0; i < length; i++) data[offset + i] = next() & 0xff;
    } else if (kind === 1) {
      offset += length; // zero padding, as after pg_switch_wal()
      continue;
    } else {
      const record = Buffer.from(`INSERT tuple ${next() % 1000} balance ${next() % 100};`);
      for (let i = 0; i < length; i++) data[offset + i] = record[i % record.length]!;
    }
    offset += length;
  }
  return data;
}

/**
 * Runs `command` with `input` on stdin; its stdout, or undefined when the command is not
 * installed. Throws when it exits non-zero (stderr in the message).
 */
export function runTool(command: string, args: string[], input: Buffer): Buffer | undefined {
  const result = spawnSync(command, args, { input, maxBuffer: 256 * 1024 * 1024 });
  if (result.error && (result.error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  }
  return result.stdout;
}

/** True when `command` can be run (checked with `--version`). */
export function hasTool(command: string): boolean {
  return spawnSync(command, ['--version'], { stdio: 'ignore' }).error === undefined;
}

/** True when `python3 -c 'import MODULE'` succeeds. */
export function hasPythonModule(module: string): boolean {
  return spawnSync('python3', ['-c', `import ${module}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Produces WAL in `cluster` and returns one completed 16 MiB segment from its pg_wal: the
 * one closed by the pg_switch_wal() that ends the workload.
 */
export async function completedSegment(cluster: ThrowawayCluster): Promise<Buffer> {
  await cluster.query('CREATE TABLE IF NOT EXISTS churn (id bigint primary key, note text)');
  await cluster.query(
    "INSERT INTO churn SELECT g, 'row ' || g FROM generate_series(1, 150000) g ON CONFLICT (id) DO UPDATE SET note = excluded.note || '!'",
  );
  const rows = await cluster.query<{ name: string }>(
    'SELECT pg_walfile_name(pg_current_wal_lsn()) AS name',
  );
  await cluster.query('SELECT pg_switch_wal()');
  const name = rows[0]!.name;
  const walDirectory = join(cluster.dataDir, 'pg_wal');
  if (!(await readdir(walDirectory)).includes(name)) throw new Error(`${name} was recycled`);
  return readFile(join(walDirectory, name));
}

/**
 * A Python interpreter that has the lz4 and zstandard modules (Debian's python3-lz4 and
 * python3-zstandard), or undefined. `python3` may be a pyenv build without them while
 * /usr/bin/python3 has them.
 */
export function pythonWithBarmanCodecs(): string | undefined {
  for (const python of ['python3', '/usr/bin/python3']) {
    const probe = spawnSync(python, ['-c', 'import lz4.frame, zstandard'], { stdio: 'ignore' });
    if (probe.status === 0) return python;
  }
  return undefined;
}

/**
 * Python that compresses or decompresses stdin to stdout with the same library calls as
 * Barman's compressors (barman/compression.py): zstandard's stream_writer/stream_reader,
 * lz4.frame.open and gzip.GzipFile.
 * Arguments: compress|decompress FORMAT [LEVEL].
 */
export const barmanCodecScript = `
import gzip, io, shutil, sys
mode, fmt = sys.argv[1], sys.argv[2]
level = int(sys.argv[3]) if len(sys.argv) > 3 else None
data = io.BytesIO(sys.stdin.buffer.read())
out = io.BytesIO()
if fmt == 'zstd':
    import zstandard
    if mode == 'compress':
        writer = zstandard.ZstdCompressor(level=level).stream_writer(out, closefd=False)
        shutil.copyfileobj(data, writer)
        writer.close()
    else:
        shutil.copyfileobj(zstandard.ZstdDecompressor().stream_reader(data), out)
elif fmt == 'lz4':
    import lz4.frame
    if mode == 'compress':
        with lz4.frame.open(out, mode='wb', compression_level=level) as writer:
            shutil.copyfileobj(data, writer)
    else:
        with lz4.frame.open(data, mode='rb') as reader:
            shutil.copyfileobj(reader, out)
elif fmt == 'gzip':
    if mode == 'compress':
        with gzip.GzipFile(fileobj=out, mode='wb', compresslevel=level) as writer:
            shutil.copyfileobj(data, writer)
    else:
        with gzip.GzipFile(fileobj=data, mode='rb') as reader:
            shutil.copyfileobj(reader, out)
sys.stdout.buffer.write(out.getvalue())
`;
