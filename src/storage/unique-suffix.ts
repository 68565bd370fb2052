/**
 * A hex string of `length` characters that tells apart the temporary files and lock tokens of
 * concurrent processes. Not a secret, so Math.random serves: archive_command's put-wal, one
 * process per WAL segment, then does not load node:crypto (about 4 ms of its start).
 */
export function uniqueSuffix(length = 8): string {
  let suffix = '';
  while (suffix.length < length) {
    suffix += Math.floor(Math.random() * 0x1_0000_0000)
      .toString(16)
      .padStart(8, '0');
  }
  return suffix.slice(0, length);
}
