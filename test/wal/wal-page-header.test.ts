import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatLsn } from '../../src/wal/lsn.ts';
import { WalFormatError } from '../../src/wal/wal-format-error.ts';
import {
  LONG_PAGE_HEADER_SIZE,
  readWalPageHeader,
  SHORT_PAGE_HEADER_SIZE,
  XLP_FIRST_IS_CONTRECORD,
  XLP_LONG_HEADER,
} from '../../src/wal/wal-page-header.ts';
import { MIB, SYSID, segmentHeader } from './fixtures/wal-bytes.ts';

describe('readWalPageHeader', () => {
  it('reads a long header field by field, little-endian', () => {
    const header = readWalPageHeader(
      segmentHeader({
        magic: 0xd110,
        info: 0x0003,
        timeline: 7,
        pageAddress: 0x16_b300_0000n,
        remainingLength: 77,
      }),
    );
    assert.deepEqual(header, {
      magic: 0xd110,
      info: 0x0003,
      timeline: 7,
      pageAddress: 0x16_b300_0000n,
      remainingLength: 77,
      isLongHeader: true,
      systemIdentifier: SYSID.toString(),
      segmentSize: 16 * MIB,
      blockSize: 8192,
    });
    assert.equal(header.info & XLP_FIRST_IS_CONTRECORD, 1);
  });

  it('reads 64-bit fields exactly, beyond 2^53', () => {
    const header = readWalPageHeader(
      segmentHeader({
        pageAddress: 0xffff_ffff_ff00_0000n,
        systemIdentifier: 0xffff_ffff_ffff_ffffn,
      }),
    );
    assert.equal(formatLsn(header.pageAddress), 'FFFFFFFF/FF000000');
    assert.ok(header.isLongHeader);
    assert.equal(header.systemIdentifier, '18446744073709551615');
  });

  it('reads from a view into a larger buffer at its own offset', () => {
    const big = Buffer.alloc(100);
    segmentHeader({ timeline: 3 }, 40).copy(big, 50);
    const header = readWalPageHeader(big.subarray(50, 90));
    assert.equal(header.timeline, 3);
    assert.equal(header.magic, 0xd113);
  });

  it('reads a short header and does not ask for the long part', () => {
    const bytes = segmentHeader({ info: 0x0001 }, SHORT_PAGE_HEADER_SIZE);
    const header = readWalPageHeader(bytes);
    assert.equal(header.isLongHeader, false);
    assert.equal('systemIdentifier' in header, false);
    assert.equal(header.info & XLP_LONG_HEADER, 0);
  });

  it('refuses truncated headers', () => {
    assert.throws(
      () => readWalPageHeader(Buffer.alloc(0)),
      (error: unknown) =>
        error instanceof WalFormatError &&
        error.reason === '0 bytes are too short for a WAL page header (24 bytes)',
    );
    assert.throws(
      () => readWalPageHeader(segmentHeader({}, 23)),
      /23 bytes are too short for a WAL page header/,
    );
    assert.throws(
      () => readWalPageHeader(segmentHeader({}, LONG_PAGE_HEADER_SIZE - 1)),
      /39 bytes are too short for a long WAL page header \(40 bytes\)/,
    );
    assert.equal(readWalPageHeader(segmentHeader({}, LONG_PAGE_HEADER_SIZE)).isLongHeader, true);
  });

  it('reads garbage without judging it (validation is validateWalFile)', () => {
    const gzip = Buffer.from('1f8b0800000000000003ed5d0b7854d5b53e332181040212', 'hex');
    const header = readWalPageHeader(gzip);
    assert.equal(header.magic, 0x8b1f);
    assert.equal(header.isLongHeader, false);
  });
});
