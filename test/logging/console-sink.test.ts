import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { consoleSink } from '../../src/logging/console-sink.ts';

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

describe('consoleSink', () => {
  it('writes warnings with their level, info plain, and debug with its fields, above the threshold', () => {
    const { stream, text } = capture();
    const sink = consoleSink('debug', stream);
    sink.write('warning', 'disk nearly full', {});
    sink.write('info', 'stored 000000010000000000000003', {});
    sink.write('debug', 'lock taken', { path: '/x' });
    assert.equal(
      text(),
      'WARNING: disk nearly full\nstored 000000010000000000000003\nDEBUG: lock taken {"path":"/x"}\n',
    );
    const quiet = capture();
    consoleSink('error', quiet.stream).write('info', 'not shown', {});
    assert.equal(quiet.text(), '');
  });

  it('takes a stream given as a function only when a line is written', () => {
    const { stream, text } = capture();
    let asked = 0;
    const sink = consoleSink('info', () => {
      asked += 1;
      return stream;
    });
    sink.write('debug', 'below the threshold', {});
    assert.equal(asked, 0, 'nothing written, the stream is not created');
    sink.write('error', 'refused', {});
    assert.equal(asked, 1);
    assert.equal(text(), 'ERROR: refused\n');
  });
});
