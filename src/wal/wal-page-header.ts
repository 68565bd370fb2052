import { type Lsn, toLsn } from './lsn.ts';
import { WalFormatError } from './wal-format-error.ts';

/** `xlp_info` flag: the page starts with the continuation of a record from the previous page. */
export const XLP_FIRST_IS_CONTRECORD = 0x0001;
/** `xlp_info` flag: the page has the long header (normally only a segment's first page). */
export const XLP_LONG_HEADER = 0x0002;
/** `xlp_info` flag: full-page images on this page may be removed (for external WAL compressors). */
export const XLP_BKP_REMOVABLE = 0x0004;
/** `xlp_info` flag: the page follows an aborted, overwritten continuation record (since 2021). */
export const XLP_FIRST_IS_OVERWRITE_CONTRECORD = 0x0008;

/** Bytes of `XLogPageHeaderData` as stored (`SizeOfXLogShortPHD`, MAXALIGNed on x86-64). */
export const SHORT_PAGE_HEADER_SIZE = 24;
/** Bytes of `XLogLongPageHeaderData` (`SizeOfXLogLongPHD`). */
export const LONG_PAGE_HEADER_SIZE = 40;

/** The fields of every WAL page header (`XLogPageHeaderData`), as read, not validated. */
interface WalPageHeaderFields {
  /** `xlp_magic`: the WAL format version, see `walMagicMajor`. */
  readonly magic: number;
  /** `xlp_info`: flag bits (`XLP_*`). */
  readonly info: number;
  /** `xlp_tli`: the timeline of the first record on the page (raw; 0 in garbage). */
  readonly timeline: number;
  /** `xlp_pageaddr`: the LSN of the page's first byte. */
  readonly pageAddress: Lsn;
  /** `xlp_rem_len`: bytes of a record continued from the previous page. */
  readonly remainingLength: number;
}

/** A page header without the long part (`XLP_LONG_HEADER` clear). */
export interface WalShortPageHeader extends WalPageHeaderFields {
  readonly isLongHeader: false;
}

/**
 * The long header at the start of a segment (`XLogLongPageHeaderData`): it identifies the
 * cluster and the sizes the segment was written with.
 */
export interface WalLongPageHeader extends WalPageHeaderFields {
  readonly isLongHeader: true;
  /** `xlp_sysid`, in decimal: the `system_identifier` of the cluster (does not fit a number). */
  readonly systemIdentifier: string;
  /** `xlp_seg_size`: the segment size in bytes (raw, not validated). */
  readonly segmentSize: number;
  /** `xlp_xlog_blcksz`: the WAL page size in bytes, normally 8192. */
  readonly blockSize: number;
}

/** A WAL page header; `isLongHeader` tells which. */
export type WalPageHeader = WalShortPageHeader | WalLongPageHeader;

/**
 * Reads the page header at the start of `bytes` (normally the first bytes of a segment file),
 * so barkeep can check what a file claims to be before archiving or serving it. Fields are
 * little-endian, as PostgreSQL writes them on x86-64 and arm64; nothing is validated here (see
 * `validateWalFile`), so garbage in gives garbage fields out, starting with a wrong magic.
 *
 * @throws WalFormatError when `bytes` is shorter than the short header (24 bytes), or shorter
 *   than the long header (40 bytes) while its `XLP_LONG_HEADER` flag is set.
 */
export function readWalPageHeader(bytes: Uint8Array): WalPageHeader {
  if (bytes.length < SHORT_PAGE_HEADER_SIZE) {
    throw new WalFormatError(
      `${bytes.length} bytes are too short for a WAL page header (${SHORT_PAGE_HEADER_SIZE} bytes)`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fields: WalPageHeaderFields = {
    magic: view.getUint16(0, true),
    info: view.getUint16(2, true),
    timeline: view.getUint32(4, true),
    pageAddress: toLsn(view.getBigUint64(8, true)),
    remainingLength: view.getUint32(16, true),
  };
  if ((fields.info & XLP_LONG_HEADER) === 0) return { ...fields, isLongHeader: false };
  if (bytes.length < LONG_PAGE_HEADER_SIZE) {
    throw new WalFormatError(
      `${bytes.length} bytes are too short for a long WAL page header (${LONG_PAGE_HEADER_SIZE} bytes)`,
    );
  }
  return {
    ...fields,
    isLongHeader: true,
    systemIdentifier: view.getBigUint64(24, true).toString(),
    segmentSize: view.getUint32(32, true),
    blockSize: view.getUint32(36, true),
  };
}
