import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatPyLiteral,
  PyLiteralError,
  type PyValue,
  pyDict,
  pyFloatRepr,
  pyStringRepr,
  pyTuple,
} from '../../src/catalog/python-literal.ts';
import { parsePyLiteral } from '../../src/catalog/python-literal-parser.ts';

// Expected texts below were produced by CPython 3.11's repr().
const STRINGS: readonly [string, string][] = [
  ['plain', "'plain'"],
  ["it's", `"it's"`],
  ['say "hi"', `'say "hi"'`],
  [`both ' and "`, `'both \\' and "'`],
  ['back\\slash', "'back\\\\slash'"],
  ['tab\tnl\ncr\r', "'tab\\tnl\\ncr\\r'"],
  ['\x00\x1b\x7f', "'\\x00\\x1b\\x7f'"],
  [
    'caf\u00e9 \u00a0 \u00ad \u2028 \u200b \u{1F600} \u{E0001} \u4e2d',
    "'caf\u00e9 \\xa0 \\xad \\u2028 \\u200b \u{1F600} \\U000e0001 \u4e2d'",
  ],
  ['', "''"],
];

const FLOATS: readonly [number, string][] = [
  [1.5, '1.5'],
  [2, '2.0'],
  [0.1, '0.1'],
  [1e-5, '1e-05'],
  [0.0001, '0.0001'],
  [1e16, '1e+16'],
  [1e15, '1000000000000000.0'],
  [123456789012345680, '1.2345678901234568e+17'],
  [1234567890123456, '1234567890123456.0'],
  [-0, '-0.0'],
  [0, '0.0'],
  [1.7976931348623157e308, '1.7976931348623157e+308'],
  [5e-324, '5e-324'],
  [3.25, '3.25'],
  [100, '100.0'],
  [1e22, '1e+22'],
  [2.5e-7, '2.5e-07'],
  [-1.25e20, '-1.25e+20'],
  [0.30000000000000004, '0.30000000000000004'],
];

function parseError(text: string): PyLiteralError {
  try {
    parsePyLiteral(text);
  } catch (error) {
    assert.ok(error instanceof PyLiteralError, `${text}: ${String(error)}`);
    return error;
  }
  assert.fail(`${text} parsed`);
}

describe('Python repr()', () => {
  it('quotes and escapes str as Python does (quote choice, \\xNN, \\uNNNN, non-ASCII kept)', () => {
    for (const [text, repr] of STRINGS)
      assert.equal(pyStringRepr(text), repr, JSON.stringify(text));
  });

  it('writes floats in the shortest form with Python exponent and .0 rules', () => {
    for (const [value, repr] of FLOATS) assert.equal(pyFloatRepr(value), repr, String(value));
  });

  it('refuses NaN and infinities, which have no literal', () => {
    assert.throws(() => pyFloatRepr(Number.NaN), PyLiteralError);
    assert.throws(() => formatPyLiteral(Number.POSITIVE_INFINITY), PyLiteralError);
  });

  it("writes backup.info's containers: tablespaces, included_files, copy_stats", () => {
    assert.equal(
      formatPyLiteral([pyTuple('tbs1', 16385n, '/srv/tbs1')]),
      "[('tbs1', 16385, '/srv/tbs1')]",
    );
    assert.equal(formatPyLiteral(['/etc/x.conf']), "['/etc/x.conf']");
    assert.equal(
      formatPyLiteral(pyDict({ copy_time: 1.5, total_time: 2, workers: 2n })),
      "{'copy_time': 1.5, 'total_time': 2.0, 'workers': 2}",
    );
    assert.equal(formatPyLiteral(pyTuple('one')), "('one',)");
    assert.equal(formatPyLiteral(pyTuple()), '()');
    assert.equal(formatPyLiteral([null, true, false, -3n]), '[None, True, False, -3]');
    assert.equal(formatPyLiteral(pyDict([[1n, pyDict({})]])), '{1: {}}');
  });
});

describe('Python literal_eval', () => {
  it('reads back everything repr() writes', () => {
    for (const [text, repr] of STRINGS) assert.equal(parsePyLiteral(repr), text);
    for (const [value, repr] of FLOATS) assert.equal(parsePyLiteral(repr), value);
    const values: PyValue[] = [
      [pyTuple('tbs1', 16385n, '/srv/tbs1'), pyTuple("o'brien", 16390n, '/srv/"x"')],
      pyDict({ copy_time: 1.5, total_time: 2, nested: pyDict({ a: [1n, 2n] }) }),
      pyTuple('one'),
      pyTuple(),
      [],
      null,
      true,
      false,
      -12345678901234567890n,
    ];
    for (const value of values) assert.deepEqual(parsePyLiteral(formatPyLiteral(value)), value);
  });

  it('keeps ints and floats apart', () => {
    assert.equal(parsePyLiteral('2'), 2n);
    assert.equal(parsePyLiteral('2.0'), 2);
    assert.equal(parsePyLiteral('2.'), 2);
    assert.equal(parsePyLiteral('.5'), 0.5);
    assert.equal(parsePyLiteral('1e3'), 1000);
  });

  it('reads the other literal forms Python accepts', () => {
    assert.equal(parsePyLiteral("u'x'"), 'x');
    assert.equal(parsePyLiteral("r'\\n'"), '\\n');
    assert.equal(parsePyLiteral("r'\\''"), "\\'");
    assert.equal(parsePyLiteral("'''a\nb'''"), 'a\nb');
    assert.equal(parsePyLiteral('"""say "x" """'), 'say "x" ');
    assert.equal(parsePyLiteral("'a' \"b\"  'c'"), 'abc');
    assert.equal(parsePyLiteral("'\\x41\\u00e9\\U0001F600\\101\\a\\0'"), 'A\u00e9\u{1F600}A\x07\0');
    assert.equal(parsePyLiteral("'\\q'"), '\\q');
    assert.equal(parsePyLiteral("'line\\\ncontinued'"), 'linecontinued');
    assert.equal(parsePyLiteral('0x1F'), 31n);
    assert.equal(parsePyLiteral('0o17'), 15n);
    assert.equal(parsePyLiteral('0b101'), 5n);
    assert.equal(parsePyLiteral('1_000'), 1000n);
    assert.equal(parsePyLiteral('-1'), -1n);
    assert.equal(parsePyLiteral('+1.5'), 1.5);
    assert.equal(parsePyLiteral('000'), 0n);
    assert.equal(parsePyLiteral('(1)'), 1n);
    assert.deepEqual(parsePyLiteral('(1,)'), pyTuple(1n));
    assert.deepEqual(parsePyLiteral(' [ 1 ,\n 2 , ] '), [1n, 2n]);
    assert.deepEqual(parsePyLiteral("{'a': 1,}"), pyDict({ a: 1n }));
    assert.deepEqual(parsePyLiteral('{}'), pyDict({}));
  });

  it('reports malformed literals with the offset where reading stopped', () => {
    assert.equal(parseError("'open").position, 5);
    assert.equal(parseError('[1, 2').position, 5);
    assert.equal(parseError('{1 2}').position, 3);
    assert.equal(parseError('1 2').position, 2);
    for (const text of [
      "b'x'",
      'set()',
      'foo',
      '01',
      "'\\x4'",
      "'a\nb'",
      '',
      '-',
      '1e',
      '[1,,2]',
      'None None',
      "{'a'}",
    ]) {
      parseError(text);
    }
  });
});
