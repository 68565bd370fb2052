/**
 * `verify-backup` of a compressed backup: each tar archive decompressed and parsed as a stream,
 * every entry checked against the manifest as it goes by, so memory stays bounded.
 */
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract, type Header } from 'tar-stream';
import { createDecompressStream } from '../compression/compress-stream.ts';
import type { DetectedCompression } from '../compression/compression-format.ts';
import { isBarkeepError } from '../errors/barkeep-error.ts';
import { errnoCode, ioError } from '../errors/system-error.ts';
import { forEachLimited } from '../storage/bounded-workers.ts';
import { displayKey, type ManifestFile } from './backup-manifest.ts';
import { createFileChecksum } from './manifest-checksum.ts';
import {
  RANK_ARCHIVE,
  RANK_EXTRA,
  RANK_FILE,
  TAR_ARCHIVE,
  tablespacePart,
  type VerifyContext,
} from './verify-files.ts';

function formatOf(extension: string | undefined): DetectedCompression {
  return extension === 'gz'
    ? 'gzip'
    : extension === 'zst'
      ? 'zstd'
      : extension === 'lz4'
        ? 'lz4'
        : 'none';
}

/**
 * Checks the archives of a compressed backup (`dataNames`: the names in its `data/`): each listed
 * file in the archive that holds it, archives or files missing, and files the manifest does not list.
 */
export async function verifyArchives(
  context: VerifyContext,
  dataNames: readonly string[],
): Promise<void> {
  const { paths, manifest, report } = context;
  // Which archive holds which listed file: pg_tblspc/<oid>/... in <oid>.tar, the rest in base.tar.
  const byArchive = new Map<string, Map<string, ManifestFile>>();
  for (const file of manifest.files) {
    const part = tablespacePart(file.key);
    const archive = part?.oid ?? 'base';
    const files = byArchive.get(archive) ?? new Map<string, ManifestFile>();
    byArchive.set(archive, files);
    files.set(part ? part.rest : file.key, file);
  }
  const archives: { name: string; stem: string; format: DetectedCompression }[] = [];
  for (const name of dataNames) {
    const match = TAR_ARCHIVE.exec(name);
    if (match) archives.push({ name, stem: match[1]!, format: formatOf(match[2]) });
    else if (name !== 'backup_manifest')
      report(RANK_EXTRA, 0, join(paths.data, name), 'the manifest does not list this file');
  }
  for (const [stem, files] of byArchive) {
    if (archives.some((archive) => archive.stem === stem)) continue;
    report(
      RANK_ARCHIVE,
      0,
      join(paths.data, `${stem}.tar`),
      `the archive is missing: the manifest lists ${files.size} file(s) in it`,
    );
  }
  await forEachLimited(
    archives,
    context.jobs,
    async (archive) => {
      const path = join(paths.data, archive.name);
      const files = byArchive.get(archive.stem) ?? new Map<string, ManifestFile>();
      const seen = new Set<string>();
      try {
        await scanTar(path, archive.format, async (header, stream) => {
          const name = header.name.replace(/^(?:\.\/)+/, '').replace(/\/+$/, '');
          if (header.type !== 'file' && header.type !== 'contiguous-file') return;
          const location = `${path}:${displayKey(name)}`;
          const file = files.get(name);
          if (!file) {
            // backup_manifest itself is never in an archive; anything else unlisted is extra.
            report(RANK_EXTRA, 0, location, 'the manifest does not list this file');
            return;
          }
          seen.add(name);
          const why = await checkStream(stream, header.size ?? 0, file);
          if (why) report(RANK_FILE, file.index, location, why);
        });
      } catch (error) {
        const unseen = [...files.keys()].filter((name) => !seen.has(name)).length;
        const why = isBarkeepError(error) ? error.why : (error as Error).message;
        report(
          RANK_ARCHIVE,
          0,
          path,
          `the archive cannot be read to its end (${why})${unseen > 0 ? `; ${unseen} file(s) of the manifest in it were not reached` : ''}`,
        );
        return;
      }
      for (const [name, file] of files) {
        if (!seen.has(name))
          report(
            RANK_FILE,
            file.index,
            `${path}:${displayKey(name)}`,
            'it is missing: the manifest lists it',
          );
      }
    },
    { signal: context.signal },
  );
}

/**
 * Reads a (compressed) tar archive as a stream, handing each entry to `onEntry`, which must
 * consume or leave its data stream; what it does not read is skipped.
 */
async function scanTar(
  path: string,
  format: DetectedCompression,
  onEntry: (header: Header, stream: Readable) => Promise<void>,
): Promise<void> {
  // latin1: names as byte strings, the form the manifest's keys take.
  // (tar-stream reads the option; its type declarations leave it out.)
  const extractor = extract({ filenameEncoding: 'latin1' } as Parameters<typeof extract>[0]);
  extractor.on('entry', (header, source, next) => {
    const stream = source as unknown as Readable;
    // The entry's data must be read (or skipped by resume()) before the next header is parsed.
    onEntry(header, stream).then(
      () => {
        stream.resume();
        next();
      },
      (error: unknown) => {
        stream.resume();
        next(error as Error);
      },
    );
  });
  const source = createReadStream(path);
  const decompress = await createDecompressStream(format, { source: path });
  try {
    await pipeline(source, decompress, extractor);
  } catch (error) {
    if (isBarkeepError(error)) throw error;
    const code = errnoCode(error);
    if (code) throw ioError('cannot read backup archive', path, error);
    throw error;
  }
}

/** Checks a tar entry's data as it streams by; see checkFile. */
async function checkStream(
  stream: Readable,
  size: number,
  expected: ManifestFile,
): Promise<string | undefined> {
  if (size !== expected.size)
    return `its size is ${size} bytes, the manifest says ${expected.size}`;
  if (expected.algorithm === 'NONE') return undefined;
  const checksum = createFileChecksum(expected.algorithm);
  for await (const chunk of stream) checksum.update(chunk as Buffer);
  const actual = checksum.digestHex();
  return actual === expected.checksum
    ? undefined
    : `its ${expected.algorithm} checksum is ${actual}, the manifest says ${expected.checksum}`;
}
