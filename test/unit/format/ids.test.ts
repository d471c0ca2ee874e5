import { failsWith } from '../errors.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatOutput, truncateId } from '../../../cli/format/ids.js';

const LONG = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
const rows = [
  { ID: LONG, Name: 'ingress', Driver: 'overlay', Labels: { a: '1' } },
  { ID: 'short', Name: 'bridge', Driver: 'bridge', Labels: {} },
];
const defaultTable = 'table {{.ID}}\\t{{.Name}}\\t{{.Driver}}';

test('truncateId keeps 12 chars and drops an algorithm prefix', () => {
  assert.equal(truncateId(LONG), '9f86d081884c');
  assert.equal(truncateId(`sha256:${LONG}`), '9f86d081884c');
  assert.equal(truncateId('abc'), 'abc');
  assert.equal(truncateId('123456789012'), '123456789012');
});

test('no format or "table" uses the default table with truncated IDs', () => {
  const want = 'ID             NAME      DRIVER\n' + '9f86d081884c   ingress   overlay\n' + 'short          bridge    bridge\n';
  assert.equal(formatOutput({ defaultTable }, rows), want);
  assert.equal(formatOutput({ defaultTable, format: 'table' }, rows), want);
  assert.equal(formatOutput({ defaultTable, format: '' }, rows), want);
});

test('--no-trunc keeps full IDs; truncateIds false never shortens', () => {
  assert.equal(formatOutput({ defaultTable, format: '{{.ID}}', noTrunc: true }, rows), `${LONG}\nshort\n`);
  assert.equal(formatOutput({ defaultTable, format: '{{.ID}}', truncateIds: false }, rows), `${LONG}\nshort\n`);
});

test('-q prints IDs only, one per line, and wins over --format', () => {
  assert.equal(formatOutput({ defaultTable, quiet: true }, rows), '9f86d081884c\nshort\n');
  assert.equal(formatOutput({ defaultTable, quiet: true, noTrunc: true }, rows), `${LONG}\nshort\n`);
  assert.equal(formatOutput({ defaultTable, quiet: true, format: '{{.Name}}' }, rows), '9f86d081884c\nshort\n');
  assert.equal(formatOutput({ defaultTable, quiet: true, idField: 'Name' }, rows), 'ingress\nbridge\n');
  assert.equal(formatOutput({ defaultTable, quiet: true }, []), '');
});

test('--format json prints one JSON object per line', () => {
  const out = formatOutput({ defaultTable, format: 'json' }, rows);
  const lines = out.split('\n');
  assert.equal(lines.length, 3);
  assert.equal(lines[2], '');
  assert.deepEqual(JSON.parse(lines[0]!), { ...rows[0], ID: '9f86d081884c' });
  assert.deepEqual(JSON.parse(lines[1]!), rows[1]);
  assert.equal(formatOutput({ defaultTable, format: 'json' }, []), '');
});

test('a custom table format and a plain template', () => {
  assert.equal(
    formatOutput({ defaultTable, format: 'table {{.Name}}\\t{{json .Labels}}' }, rows),
    'NAME      LABELS\n' + 'ingress   {"a":"1"}\n' + 'bridge    {}\n',
  );
  assert.equal(formatOutput({ defaultTable, format: 'table {{.ID}}', headers: { ID: 'NETWORK ID' } }, rows), 'NETWORK ID\n9f86d081884c\nshort\n');
  // Spaces around a format are trimmed, as docker does.
  assert.equal(formatOutput({ defaultTable, format: '  {{.Name}}: {{.Driver}}  ' }, rows), 'ingress: overlay\nbridge: bridge\n');
  assert.equal(formatOutput({ defaultTable, format: '{{.Name}}\\t{{.Driver}}' }, rows), 'ingress\toverlay\nbridge\tbridge\n');
  assert.equal(formatOutput({ defaultTable, format: '{{.Name}}' }, []), '');
});

test('a bad --format is an Invalid error', () => {
  assert.throws(
    () => formatOutput({ defaultTable, format: '{{.Name' }, rows),
    failsWith('Invalid', /unclosed action/),
  );
  assert.throws(
    () => formatOutput({ defaultTable, format: 'table {{nope .Name}}' }, rows),
    failsWith('Invalid', /function "nope" not defined/),
  );
});
