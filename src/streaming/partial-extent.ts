import { open } from 'node:fs/promises';
import { ioError } from '../errors/system-error.ts';

/** How much is read at a time, from the end of the file towards its start. */
const CHUNK = 1024 * 1024;

/**
 * How many bytes of WAL a `.partial` segment holds: the offset just after its last non-zero
 * byte. A `.partial` is zero-filled to its full size when created (by barkeep's receiver as by
 * pg_receivewal and PostgreSQL's own walreceiver, so that each fsync of new WAL does not also
 * commit a new file size), so its size says nothing about what was received. Reads backwards
 * from the end, so a nearly full segment costs one read. Trailing zero bytes of the last record
 * are not counted: the answer can fall a few bytes short of the true end, never beyond it.
 */
export async function walBytesInPartial(path: string): Promise<number> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw ioError('cannot open streamed WAL', path, error);
  }
  try {
    const { size } = await handle.stat();
    const buffer = Buffer.allocUnsafe(Math.min(CHUNK, size));
    let end = size;
    while (end > 0) {
      const start = Math.max(0, end - buffer.length);
      const { bytesRead } = await handle.read(buffer, 0, end - start, start);
      for (let i = bytesRead - 1; i >= 0; i--) if (buffer[i] !== 0) return start + i + 1;
      end = start;
    }
    return 0;
  } catch (error) {
    throw ioError('cannot read streamed WAL', path, error);
  } finally {
    await handle.close();
  }
}
