import { failsWith } from '../errors.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileTemplate } from '../../../cli/format/template.js';

const run = (src: string, data: unknown): string => compileTemplate(src)(data);

const net = {
  ID: 'abcdef0123456789',
  Name: 'web',
  Driver: 'overlay',
  Internal: false,
  Attachable: true,
  Scope: 'swarm',
  Peers: 3,
  Labels: { env: 'prod', 'com.example.team': 'blue' },
  Names: ['a', 'b'],
  IPAM: { Driver: 'default', Config: [{ Subnet: '10.0.0.0/24', Gateway: '10.0.0.1' }] },
  Options: null,
};

function invalid(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, failsWith('Invalid', pattern));
}

test('fields, nested fields and literal text', () => {
  assert.equal(run('{{.Name}}', net), 'web');
  assert.equal(run('id={{.ID}} driver={{.IPAM.Driver}}', net), 'id=abcdef0123456789 driver=default');
  assert.equal(run('{{.IPAM.Config}}', net), '[map[Gateway:10.0.0.1 Subnet:10.0.0.0/24]]');
  assert.equal(run('no actions at all', net), 'no actions at all');
  assert.equal(run('}} is text outside an action', net), '}} is text outside an action');
  assert.equal(run('{{ .Name }}', net), 'web');
});

test('values print as Go prints them', () => {
  assert.equal(run('{{.Internal}} {{.Attachable}}', net), 'false true');
  assert.equal(run('{{.Peers}}', net), '3');
  assert.equal(run('{{.}}', 1.5), '1.5');
  assert.equal(run('{{.}}', 1234567.5), '1.2345675e+06');
  assert.equal(run('{{.}}', 0.00001), '1e-05');
  assert.equal(run('{{.Names}}', net), '[a b]');
  assert.equal(run('{{.Labels}}', net), 'map[com.example.team:blue env:prod]');
  assert.equal(run('{{.}}', [1, null, [true]]), '[1 <nil> [true]]');
  assert.equal(run('{{.}}', {}), 'map[]');
  assert.equal(run('{{.}}', new Date('2024-01-02T03:04:05.120Z')), '2024-01-02 03:04:05.12 +0000 UTC');
});

test('missing and null fields print <no value>', () => {
  assert.equal(run('{{.Nope}}', net), '<no value>');
  assert.equal(run('{{.Options}}', net), '<no value>');
  assert.equal(run('{{.Nope.Deeper}}', net), '<no value>');
  assert.equal(run('{{.IPAM.Nope}}', net), '<no value>');
  assert.equal(run('{{.Name}}', null), '<no value>');
  assert.equal(run('{{.toString}}', {}), '<no value>', 'prototype members are not fields');
  assert.equal(run('{{index .Labels "missing"}}', net), '<no value>');
});

test('index into maps and lists', () => {
  assert.equal(run('{{index .Labels "env"}}', net), 'prod');
  assert.equal(run('{{index .Labels "com.example.team"}}', net), 'blue');
  assert.equal(run('{{index .Names 1}}', net), 'b');
  assert.equal(run('{{index .IPAM.Config 0 "Subnet"}}', net), '10.0.0.0/24');
  invalid(() => run('{{index .Names 5}}', net), /1:3: index: index out of range: 5/);
});

test('json of the whole value, of fields, of arrays, without HTML escaping', () => {
  assert.equal(run('{{json .IPAM}}', net), '{"Driver":"default","Config":[{"Subnet":"10.0.0.0/24","Gateway":"10.0.0.1"}]}');
  assert.equal(run('{{json .Names}}', net), '["a","b"]');
  assert.equal(run('{{json .Name}}', net), '"web"');
  assert.equal(run('{{json .Nope}}', net), 'null');
  assert.equal(run('{{json .}}', { a: '<&>' }), '{"a":"<&>"}');
  assert.deepEqual(JSON.parse(run('{{json .}}', net)), net);
});

test('\\t and \\n in the format become tab and newline, as the docker CLI does', () => {
  assert.equal(run('{{.ID}}\\t{{.Name}}\\n', net), 'abcdef0123456789\tweb\n');
  assert.equal(run('{{join .Names "\\t"}}', net), 'a\tb');
});

test('range over lists and maps, with variables and else', () => {
  assert.equal(run('{{range .Names}}<{{.}}>{{end}}', net), '<a><b>');
  assert.equal(run('{{range $i, $n := .Names}}{{$i}}={{$n}} {{end}}', net), '0=a 1=b ');
  assert.equal(run('{{range $k, $v := .Labels}}{{$k}}={{$v}},{{end}}', net), 'com.example.team=blue,env=prod,');
  assert.equal(run('{{range .IPAM.Config}}{{.Subnet}} via {{.Gateway}}{{end}}', net), '10.0.0.0/24 via 10.0.0.1');
  assert.equal(run('{{range .Nope}}x{{else}}none{{end}}', net), 'none');
  assert.equal(run('{{range .Names}}{{$.Name}}:{{.}} {{end}}', net), 'web:a web:b ');
  assert.equal(run('{{range .}}{{range .}}{{.}}{{end}};{{end}}', [[1, 2], [3]]), '12;3;');
});

test('if, else if, else, with, and comparison builtins', () => {
  assert.equal(run('{{if .Attachable}}yes{{else}}no{{end}}', net), 'yes');
  assert.equal(run('{{if .Internal}}yes{{else}}no{{end}}', net), 'no');
  assert.equal(run('{{if .Nope}}yes{{end}}', net), '');
  assert.equal(run('{{if eq .Driver "bridge"}}b{{else if eq .Driver "overlay"}}o{{else}}?{{end}}', net), 'o');
  assert.equal(run('{{if and .Attachable (not .Internal)}}ok{{end}}', net), 'ok');
  assert.equal(run('{{if gt .Peers 2}}many{{end}}', net), 'many');
  assert.equal(run('{{if .Names}}{{len .Names}}{{end}}', net), '2');
  assert.equal(run('{{if .Options}}x{{else}}empty{{end}}', net), 'empty');
  assert.equal(run('{{with .IPAM}}{{.Driver}}{{end}}', net), 'default');
  assert.equal(run('{{with .Nope}}{{.}}{{else}}none{{end}}', net), 'none');
  for (const falsy of [0, '', [], {}, null, false]) assert.equal(run('{{if .}}t{{else}}f{{end}}', falsy), 'f', JSON.stringify(falsy));
});

test('docker functions', () => {
  assert.equal(run('{{upper .Name}} {{lower "ABC"}}', net), 'WEB abc');
  assert.equal(run('{{join .Names ", "}}', net), 'a, b');
  assert.equal(run('{{title "hello big-world"}}', net), 'Hello Big-World');
  assert.equal(run('{{split "a,b,c" ","}}', net), '[a b c]');
  assert.equal(run('{{index (split "a:b" ":") 1}}', net), 'b');
  assert.equal(run('{{truncate .ID 12}}', net), 'abcdef012345');
  assert.equal(run('{{truncate .Name 12}}', net), 'web');
  assert.equal(run('[{{pad .Name 1 2}}]', net), '[ web  ]');
  assert.equal(run('[{{pad "" 1 2}}]', net), '[]');
  assert.equal(run('{{.Name | upper}}', net), 'WEB');
  // A piped value is the last argument, as in Go.
  assert.equal(run('{{"+" | join .Names}}', net), 'a+b');
  invalid(() => run('{{.Names | join "+"}}', net), /join: expected a list, got string/);
  assert.equal(run('{{printf "%-5s|%3d|%v" .Name .Peers .Names}}', net), 'web  |  3|[a b]');
  assert.equal(run('{{$n := .Name}}{{$n}}{{$n}}', net), 'webweb');
  invalid(() => run('{{join .Name ","}}', net), /join: expected a list/);
  invalid(() => run('{{upper .Peers}}', net), /1:3: upper: expected a string, got number 3/);
});

test('comments and trim markers', () => {
  assert.equal(run('a {{/* note */}} b', net), 'a  b');
  assert.equal(run('a  {{- .Name -}}  b', net), 'awebb');
  assert.equal(run('{{range .Names}}\n  {{- .}}\n{{- end}}', net), 'ab');
});

test('compile errors say what and where', () => {
  invalid(() => compileTemplate('{{.ID}'), /1:6: unexpected "}" in action/);
  invalid(() => compileTemplate('ok {{.ID'), /1:4: unclosed action/);
  invalid(() => compileTemplate('{{{.ID}}'), /1:3: unexpected "\{" in action/);
  invalid(() => compileTemplate('{{}}'), /missing value/);
  invalid(() => compileTemplate('{{bogus .ID}}'), /1:3: function "bogus" not defined/);
  invalid(() => compileTemplate('a\n{{.ID | nope}}'), /2:9: function "nope" not defined/);
  invalid(() => compileTemplate('{{if .X}}x'), /1:1: missing \{\{end\}\} for \{\{if\}\}/);
  invalid(() => compileTemplate('x{{end}}'), /1:2: unexpected \{\{end\}\}/);
  invalid(() => compileTemplate('{{else}}'), /unexpected \{\{else\}\}/);
  invalid(() => compileTemplate('{{"abc}}'), /unterminated quoted string/);
  invalid(() => compileTemplate('{{(.ID}}'), /unclosed left paren/);
  invalid(() => compileTemplate('{{template "x"}}'), /not supported/);
  invalid(() => compileTemplate('{{/* open'), /unclosed comment/);
});

test('execution errors are typed too', () => {
  invalid(() => run('{{.Name.Length}}', net), /can't evaluate field Length in type string/);
  invalid(() => run('{{.Name "x"}}', net), /can't give argument to non-function \.Name/);
  invalid(() => run('{{upper}}', net), /wrong number of args for upper: want 1 got 0/);
  invalid(() => run('{{$nope}}', net), /undefined variable/);
});

test('compiled once, executed many times with independent state', () => {
  const tpl = compileTemplate('{{$x := .Name}}{{range .Names}}{{$x}}{{.}}{{end}}');
  assert.equal(tpl({ Name: 'p', Names: ['1', '2'] }), 'p1p2');
  assert.equal(tpl({ Name: 'q', Names: ['z'] }), 'qz');
  assert.equal(tpl({ Name: 'r', Names: [] }), '');
});

test('header mode: fields become headers, docker functions pass through', () => {
  const tpl = compileTemplate('{{.ID}}\\t{{upper .Name}}\\t{{join .Names ","}}\\t{{.IPAM.Driver}}\\t{{index .Labels "env"}}');
  assert.equal(tpl.header((f) => f.toUpperCase()), 'ID\tNAME\tNAMES\tDRIVER\tLABELS');
});
