/** Leading bytes of the compressed formats an operator may hand barkeep by mistake. */
const SIGNATURES: ReadonlyArray<readonly [name: string, signature: readonly number[]]> = [
  ['gzip', [0x1f, 0x8b]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
  ['lz4', [0x04, 0x22, 0x4d, 0x18]],
  ['bzip2', [0x42, 0x5a, 0x68]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
];

/**
 * The compressed format whose signature starts `bytes` (`gzip`, `zstd`, `lz4`, `bzip2`, `xz`),
 * or undefined. Lets the WAL check say why a file offered as a segment has a bad magic: a
 * compressed segment (e.g. Barman's `.gz`) renamed to the plain name is a common mistake.
 */
export function compressionFormatOf(bytes: Uint8Array): string | undefined {
  return SIGNATURES.find(([, signature]) =>
    signature.every((byte, index) => bytes[index] === byte),
  )?.[0];
}
