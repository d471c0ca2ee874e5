import { test } from 'node:test';
import assert from 'node:assert/strict';
import { headerFor, isTableFormat, renderTable, renderTemplateTable } from '../../../cli/format/table.js';
import { DOCKER_TABLE, tabwrite } from '../../../cli/format/tabwriter.js';

const nets = [
  { ID: 'abc', Name: 'bridge-network-long', Driver: 'overlay' },
  { ID: 'd', Name: 'x', Driver: 'null' },
];

test('docker uses tabwriter minwidth 10, padding 3', () => {
  assert.deepEqual(DOCKER_TABLE, { minwidth: 10, padding: 3 });
});

test('tabwriter: columns reach minwidth, grow to widest cell + padding, last column unpadded', () => {
  // Column 0: widest "abc" is 3+3 = 6, below minwidth 10. Column 1: "bridge-network-long" 19+3 = 22.
  const out = tabwrite('ID\tNAME\tDRIVER\nabc\tbridge-network-long\toverlay\nd\tx\tnull\n');
  assert.equal(
    out,
    'ID        NAME                  DRIVER\n' + //
      'abc       bridge-network-long   overlay\n' +
      'd         x                     null\n',
  );
});

test('tabwriter: column blocks end at a line without that column', () => {
  // Lines 0-1 share column 0 (width 4+1); only line 0 has column 1 (width 1+1).
  // "x" has no tab, so "long-cell-here" starts a new block (width 14+1).
  const out = tabwrite('a\tb\tc\naaaa\tb\nx\nlong-cell-here\ty\n', { minwidth: 0, padding: 1 });
  assert.equal(out, 'a    b c\naaaa b\nx\nlong-cell-here y\n');
});

test('tabwriter: a trailing tab pads its cell; text without a final newline is kept; runes count once', () => {
  assert.equal(tabwrite('ab\t\ncd\tz', { minwidth: 0, padding: 2 }), 'ab  \ncd  z');
  assert.equal(tabwrite('é\tx\nab\ty\n', { minwidth: 0, padding: 1 }), 'é  x\nab y\n');
  assert.equal(tabwrite('🚀\tx\n', { minwidth: 0, padding: 1 }), '🚀 x\n');
  assert.equal(tabwrite(''), '');
});

test('header names derived from field names in docker style', () => {
  assert.equal(headerFor('ID'), 'ID');
  assert.equal(headerFor('Name'), 'NAME');
  assert.equal(headerFor('CreatedAt'), 'CREATED AT');
  assert.equal(headerFor('NodeID'), 'NODE ID');
  assert.equal(headerFor('TLSStatus'), 'TLS STATUS');
  assert.equal(headerFor('EngineVersion'), 'ENGINE VERSION');
  assert.equal(headerFor('IPv6'), 'IPV6');
  assert.equal(headerFor('IPAM'), 'IPAM');
});

test('renderTable aligns extracted columns', () => {
  const out = renderTable(
    [
      { header: 'NETWORK ID', get: (r: (typeof nets)[number]) => r.ID },
      { header: 'NAME', get: (r) => r.Name },
      { header: 'DRIVER', get: (r) => r.Driver },
    ],
    nets,
  );
  assert.equal(
    out,
    'NETWORK ID   NAME                  DRIVER\n' + // "NETWORK ID" is 10+3 = 13 wide
      'abc          bridge-network-long   overlay\n' +
      'd            x                     null\n',
  );
  assert.equal(renderTable([{ header: 'ID', get: (r: { id: string }) => r.id }], []), 'ID\n');
});

test('table format directive: header from the template, rows aligned', () => {
  assert.ok(isTableFormat('table {{.ID}}'));
  assert.ok(!isTableFormat('{{.ID}}'));
  const out = renderTemplateTable('table {{.ID}}\\t{{.Name}}\\t{{upper .Driver}}', nets);
  assert.equal(
    out,
    'ID        NAME                  DRIVER\n' + //
      'abc       bridge-network-long   OVERLAY\n' +
      'd         x                     NULL\n',
  );
  assert.equal(renderTemplateTable('table {{.ID}}\\t{{.CreatedAt}}', []), 'ID        CREATED AT\n');
  assert.equal(renderTemplateTable('table {{.ID}}\\t{{.Name}}', [], { ID: 'NETWORK ID' }), 'NETWORK ID   NAME\n');
  // A row's literal text shares the columns too.
  assert.equal(renderTemplateTable('table id={{.ID}}', [nets[1]]), 'id=ID\nid=d\n');
});
