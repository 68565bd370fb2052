import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { extract, type Header } from 'tar-stream';
import { decompressBuffer } from '../compression/compress-buffer.ts';
import { detectCompression } from '../compression/compression-format.ts';
import type { ServerConfig } from '../config/settings.ts';
import { BarkeepError } from '../errors/barkeep-error.ts';
import type { Logger } from '../logging/logger.ts';
import { archiveTarget, storeAndIndex } from './put-wal.ts';

const CHECKSUM_FILES = { SHA256SUMS: 'sha256', MD5SUMS: 'md5' } as const;

interface Member {
  readonly name: string;
  readonly data: Buffer;
  readonly mtimeMs: number | undefined;
}

/**
 * `put-wal SERVER` without FILE: reads the tar stream that Barman's `barman-wal-archive` sends
 * over ssh (the WAL file under its base name, then `SHA256SUMS` or `MD5SUMS` with lines
 * `<hex> *<name>`), verifies every file against its checksum, and archives each as put-wal
 * does. A WAL file the client compressed before sending (newer barman-wal-archive) is
 * decompressed first, so it is checked and stored like any other. Returns the names archived.
 */
export async function putWalFromTarStream(
  server: ServerConfig,
  input: Readable,
  logger: Logger,
): Promise<string[]> {
  const members = await readMembers(input);
  const sumsName = members.find((member) => isChecksumFile(member.name))?.name as
    | keyof typeof CHECKSUM_FILES
    | undefined;
  if (sumsName === undefined)
    throw refused('stdin', 'the stream has no SHA256SUMS or MD5SUMS member');
  const sums = parseChecksums(
    members.find((member) => member.name === sumsName)!.data.toString('utf8'),
  );
  const files = members.filter((member) => !isChecksumFile(member.name));
  if (files.length === 0) throw refused('stdin', 'the stream holds no WAL file');
  for (const file of files) {
    const expected = sums.get(file.name);
    if (expected === undefined) throw refused(file.name, `${sumsName} has no line for it`);
    const actual = createHash(CHECKSUM_FILES[sumsName]).update(file.data).digest('hex');
    if (actual !== expected.toLowerCase())
      throw refused(
        file.name,
        `its ${CHECKSUM_FILES[sumsName]} is ${actual}, ${sumsName} says ${expected}: damaged in transfer`,
      );
  }
  const target = await archiveTarget(server, logger);
  const names: string[] = [];
  for (const file of files) {
    const data =
      detectCompression(file.data) === 'none'
        ? file.data
        : await decompressBuffer(file.data, { source: file.name });
    await storeAndIndex(
      { name: file.name, data, ...(file.mtimeMs !== undefined ? { mtimeMs: file.mtimeMs } : {}) },
      target,
      logger,
    );
    names.push(file.name);
  }
  return names;
}

/** True for `SHA256SUMS` and `MD5SUMS` (own keys only: a member named `constructor` is a file). */
function isChecksumFile(name: string): boolean {
  return Object.hasOwn(CHECKSUM_FILES, name);
}

/**
 * A member's modification time in ms: the PAX `mtime` record when there is one (fractional, as
 * Python's tarfile and tar(1) write it, and as Barman records it in xlog.db), else the header's
 * whole seconds.
 */
function memberMtimeMs(header: Header): number | undefined {
  const pax = Number((header.pax as Record<string, string> | null | undefined)?.['mtime']);
  return Number.isFinite(pax) ? pax * 1000 : header.mtime?.getTime();
}

/** `<hex> *<name>` (binary mode, as Barman writes) or `<hex>  <name>` lines. */
function parseChecksums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([0-9a-fA-F]+) [ *](.+)$/.exec(line.trimEnd());
    if (match) sums.set(match[2]!.replace(/^\.\//, ''), match[1]!);
  }
  return sums;
}

function readMembers(input: Readable): Promise<Member[]> {
  return new Promise((resolve, reject) => {
    const members: Member[] = [];
    const parser = extract();
    parser.on('entry', (header, stream, next) => {
      const name = header.name.replace(/^\.\//, '');
      if (header.type !== 'file' || name.includes('/') || name === '') {
        stream.resume();
        reject(refused(header.name, 'only plain files with base names may be sent'));
        return;
      }
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
      stream.on('end', () => {
        members.push({ name, data: Buffer.concat(chunks), mtimeMs: memberMtimeMs(header) });
        next();
      });
      stream.on('error', reject);
    });
    parser.on('finish', () => resolve(members));
    parser.on('error', (error: Error) =>
      reject(refused('stdin', `not a valid tar stream (${error.message})`)),
    );
    input.on('error', reject);
    input.pipe(parser);
  });
}

function refused(subject: string, why: string): BarkeepError {
  return new BarkeepError('walInvalid', {
    what: 'refused put-wal stream',
    subject,
    why,
    hint: 'Nothing was stored; barman-wal-archive will send it again.',
  });
}
