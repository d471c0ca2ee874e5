// The small pieces behind the verbs: Go durations, human durations, natural order,
// json.Indent, node addresses, filters, Go time strings, byte sizes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from 'commander';
import { ago, humanDuration, parseDuration } from '../../../cli/duration.js';
import { goTimeString, prettyPrint } from '../../../cli/gotime.js';
import { indentJson } from '../../../cli/inspect.js';
import { collectFilter, encodeFilters, kvToMap, parseNodeAddr } from '../../../cli/opts.js';
import { bytesSize } from '../../../cli/pretty.js';
import { naturalCompare } from '../../../cli/sort.js';
import { failsWith } from '../errors.js';

test('parseDuration reads Go durations in nanoseconds', () => {
  assert.equal(parseDuration('2160h0m0s'), 2160 * 3600e9);
  assert.equal(parseDuration('90s'), 90e9);
  assert.equal(parseDuration('1h'), 3600e9);
  assert.equal(parseDuration('1.5h'), 5400e9);
  assert.equal(parseDuration('1h30m15.5s'), 5415.5e9);
  assert.equal(parseDuration('300ms'), 300e6);
  assert.equal(parseDuration('2us'), 2000);
  assert.equal(parseDuration('2µs'), 2000);
  assert.equal(parseDuration('7ns'), 7);
  assert.equal(parseDuration('-1m'), -60e9);
  assert.equal(parseDuration('+.5s'), 0.5e9);
  assert.equal(parseDuration('0'), 0);
  assert.equal(parseDuration('8760h'), 8760 * 3600e9);
  assert.throws(() => parseDuration(''), failsWith('Invalid', 'time: invalid duration ""'));
  assert.throws(() => parseDuration('abc'), failsWith('Invalid', 'time: invalid duration "abc"'));
  assert.throws(() => parseDuration('10'), failsWith('Invalid', 'time: missing unit in duration "10"'));
  assert.throws(() => parseDuration('3d'), failsWith('Invalid', 'time: unknown unit "d" in duration "3d"'));
  assert.throws(() => parseDuration('.s'), failsWith('Invalid', 'time: invalid duration ".s"'));
  assert.throws(() => parseDuration('3000000h'), failsWith('Invalid', 'time: invalid duration "3000000h"'));
});

test('humanDuration follows go-units', () => {
  const s = 1000;
  const h = 3600 * s;
  assert.equal(humanDuration(500), 'Less than a second');
  assert.equal(humanDuration(1 * s), '1 second');
  assert.equal(humanDuration(59 * s), '59 seconds');
  assert.equal(humanDuration(60 * s), 'About a minute');
  assert.equal(humanDuration(119 * s), 'About a minute');
  assert.equal(humanDuration(120 * s), '2 minutes');
  assert.equal(humanDuration(59 * 60 * s), '59 minutes');
  assert.equal(humanDuration(60 * 60 * s), 'About an hour');
  assert.equal(humanDuration(1.6 * h), '2 hours');
  assert.equal(humanDuration(47 * h), '47 hours');
  assert.equal(humanDuration(48 * h), '2 days');
  assert.equal(humanDuration(14 * 24 * h), '2 weeks');
  assert.equal(humanDuration(60 * 24 * h), '2 months');
  assert.equal(humanDuration(2 * 365 * 24 * h), '2 years');
  assert.equal(ago('2024-01-01T00:00:00Z', Date.parse('2024-01-01T00:01:30Z')), 'About a minute ago');
});

test('naturalCompare orders numbers by value, digits before letters', () => {
  const sorted = ['node-10', 'node-2', 'node-1', 'node-02', 'node', 'Node-3', 'node-1a', 'x'].sort(naturalCompare);
  assert.deepEqual(sorted, ['Node-3', 'node', 'node-1', 'node-1a', 'node-2', 'node-02', 'node-10', 'x']);
  assert.equal(naturalCompare('a', 'a'), 0);
  assert.ok(naturalCompare('1-foo', '10-foo') < 0);
});

test('indentJson matches Go\'s json.Indent with four spaces', () => {
  const value = { a: [1, { b: 'x"y,:{}' }], e: {}, f: [], g: null, h: 'ü' };
  assert.equal(indentJson(JSON.stringify(value)), JSON.stringify(value, null, 4));
  assert.equal(indentJson(' [ {"big": 12345678901234567890} ] '), '[\n    {\n        "big": 12345678901234567890\n    }\n]');
});

test('parseNodeAddr fills the missing host or port from 0.0.0.0:2377', () => {
  assert.equal(parseNodeAddr('10.0.0.1'), '10.0.0.1:2377');
  assert.equal(parseNodeAddr(':4000'), '0.0.0.0:4000');
  assert.equal(parseNodeAddr('eth0:2378'), 'eth0:2378');
  assert.equal(parseNodeAddr('tcp://10.0.0.1:1'), '10.0.0.1:1');
  assert.equal(parseNodeAddr('[::1]:2400'), '[::1]:2400');
  assert.equal(parseNodeAddr('::1'), '[::1]:2377');
  assert.throws(() => parseNodeAddr('udp://1.2.3.4'), InvalidArgumentError);
  assert.throws(() => parseNodeAddr('1.2.3.4:port'), /invalid bind address format: 1.2.3.4:port/);
});

test('filters: name=value terms, encoded as the docker client does', () => {
  let f = collectFilter('role=manager', undefined);
  f = collectFilter(' Label = a=b ', f);
  f = collectFilter('role=worker', f);
  assert.deepEqual(f, { role: ['manager', 'worker'], label: ['a=b'] });
  assert.equal(encodeFilters(f), '{"label":{"a=b":true},"role":{"manager":true,"worker":true}}');
  assert.equal(encodeFilters({}), '');
  assert.throws(() => collectFilter('nonsense', undefined), /bad format of filter \(expected name=value\)/);
  assert.deepEqual(kvToMap(['a=1', 'b', 'c=x=y', 'a=2']), { a: '2', b: '', c: 'x=y' });
});

test('goTimeString and prettyPrint print times as docker does', () => {
  assert.equal(goTimeString('2009-11-10T23:00:00Z'), '2009-11-10 23:00:00 +0000 UTC');
  assert.equal(goTimeString('2024-05-01T10:00:00.123456789Z'), '2024-05-01 10:00:00.123456789 +0000 UTC');
  assert.equal(goTimeString('2024-05-01T10:00:00.500Z'), '2024-05-01 10:00:00.5 +0000 UTC');
  assert.equal(goTimeString('2024-05-01T12:00:00+02:00'), '2024-05-01 12:00:00 +0200 +0200');
  assert.equal(goTimeString(undefined), '0001-01-01 00:00:00 +0000 UTC');
  assert.equal(prettyPrint(goTimeString('2009-11-10T23:00:00Z')), '2009-11-10 23:00:00 +0000 utc');
  assert.equal(prettyPrint('READY'), 'Ready');
  assert.equal(prettyPrint('x'), 'x');
  assert.equal(prettyPrint(''), '');
});

test('bytesSize prints binary sizes with four significant digits', () => {
  assert.equal(bytesSize(20 * 1024 * 1024), '20MiB');
  assert.equal(bytesSize(512), '512B');
  assert.equal(bytesSize(1536), '1.5KiB');
  assert.equal(bytesSize(2_000_000_000), '1.863GiB');
});
