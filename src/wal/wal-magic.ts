/**
 * `XLOG_PAGE_MAGIC` of each PostgreSQL major version, the first two bytes of every WAL page. A
 * major release changes it whenever the WAL format changes, so it tells which major wrote a
 * segment.
 *
 * 14 to 18 were checked against WAL written by real servers (test/wal/wal-page-header.pg.test.ts);
 * 9.4 to 13 are PostgreSQL's `xlog_internal.h` of those releases. 9.3 and older are left out on
 * purpose: 9.2 and older number segments differently (they skip the last segment of every xlog
 * id), and barkeep does not archive them.
 */
const MAGIC_BY_MAJOR: ReadonlyArray<readonly [major: number, magic: number]> = [
  [9.4, 0xd07e],
  [9.5, 0xd087],
  [9.6, 0xd093],
  [10, 0xd097],
  [11, 0xd098],
  [12, 0xd101],
  [13, 0xd106],
  [14, 0xd10d],
  [15, 0xd110],
  [16, 0xd113],
  [17, 0xd116],
  [18, 0xd118],
];

/**
 * The PostgreSQL major version whose WAL pages carry `magic` (`xlp_magic`), or undefined for a
 * value no supported release uses (not WAL at all, or a major barkeep does not know yet). Majors
 * are numbered as PostgreSQL names them: 10 to 18, and 9.4, 9.5, 9.6 before 10.
 */
export function walMagicMajor(magic: number): number | undefined {
  return MAGIC_BY_MAJOR.find(([, known]) => known === magic)?.[0];
}

/** The `XLOG_PAGE_MAGIC` of a major version (see {@link walMagicMajor}), or undefined. */
export function walMagicForMajor(major: number): number | undefined {
  return MAGIC_BY_MAJOR.find(([known]) => known === major)?.[1];
}

/** A magic number for messages, as lowercase hex with 4 digits: `0xd113`. */
export function formatWalMagic(magic: number): string {
  return `0x${magic.toString(16).padStart(4, '0')}`;
}
