// docker-compose.yml, the Dockerfile and the entry script, checked for structure: no
// Docker engine runs on this machine. Each rule is also shown to catch a broken copy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  NODES, composeProblems, dockerfileProblems, dockerignoreProblems, entryScript, isRecord, parseCompose, servicePorts, serviceEnv,
} from './compose-check.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const composeText = readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');
const dockerfileText = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');

type Doc = Record<string, unknown>;

function services(doc: Doc): Record<string, Doc> {
  const s = doc['services'];
  assert.ok(isRecord(s), 'services is a mapping');
  for (const [k, v] of Object.entries(s)) assert.ok(isRecord(v), `service ${k} is a mapping`);
  // Checked just above; the same object, so breakers can delete and add services.
  return s as Record<string, Doc>;
}

/** A fresh copy to break. Anchors make services share arrays, so breakers replace, never mutate. */
function broken(change: (svcs: Record<string, Doc>, doc: Doc) => void): string[] {
  const doc = parseCompose(composeText);
  change(services(doc), doc);
  return composeProblems(doc, ROOT);
}

test('docker-compose.yml is valid YAML and describes the lab cluster', () => {
  const doc = parseCompose(composeText);
  assert.deepEqual(composeProblems(doc, ROOT), []);
  const svcs = services(doc);
  assert.deepEqual(Object.keys(svcs).sort(), [...NODES]);
  // The rules above, spelled out once on the real file.
  for (const name of NODES) {
    const ports = servicePorts(svcs[name]!);
    for (const p of ['4789/udp', '7946/tcp', '7946/udp']) assert.ok(ports.has(p), `${name} exposes ${p}`);
    assert.equal(ports.has('2377/tcp'), name.startsWith('m'), `${name}: 2377/tcp only on managers`);
  }
  assert.deepEqual(NODES.map((n) => serviceEnv(svcs[n]!)['ROLE']), ['init', 'manager', 'manager', 'worker', 'worker']);
});

test('invalid YAML is refused', () => {
  assert.throws(() => parseCompose(`${composeText}\n  m1: [unclosed\n`));
  assert.throws(() => parseCompose(composeText.replace('services:', 'services:\n  m1: {}\n')), /unique|duplicate/i);
});

test('each rule catches a broken compose file', () => {
  const cases: [string, (s: Record<string, Doc>, doc: Doc) => void, RegExp][] = [
    ['a missing worker', (s) => void delete s['w2'], /services are m1,m2,m3,w1, want/],
    ['an extra node', (s) => void (s['w3'] = { ...s['w2'] }), /services are .*w3/],
    ['another Dockerfile', (s) => void (s['m2']!['build'] = { context: '.', dockerfile: 'Other.Dockerfile' }), /m2: builds from .*Other\.Dockerfile/],
    ['no build', (s) => void delete s['w1']!['build'], /w1: builds from nothing/],
    ['no NET_ADMIN', (s) => void (s['w1']!['cap_add'] = ['SYS_ADMIN']), /w1: no NET_ADMIN/],
    ['no VXLAN port', (s) => void (s['w2']!['expose'] = ['7946/tcp', '7946/udp']), /w2: does not expose 4789\/udp/],
    ['gossip on TCP only', (s) => void (s['m3']!['expose'] = ['2377/tcp', '7946/tcp', '4789/udp']), /m3: does not expose 7946\/udp/],
    ['a manager without 2377', (s) => void (s['m2']!['expose'] = ['7946/tcp', '7946/udp', '4789/udp']), /m2: does not expose 2377\/tcp/],
    ['two inits', (s) => void (s['m2']!['environment'] = { ROLE: 'init' }), /roles are init,init,manager,worker,worker/],
    ['a worker as manager', (s) => void (s['w1']!['environment'] = ['ROLE=manager']), /w1: ROLE is "manager", want "worker"/],
    ['an address outside the subnet', (s) => void (s['w2']!['networks'] = { underlay: { ipv4_address: '172.29.0.22' } }), /w2: 172\.29\.0\.22 is not a host address of 172\.28\.0\.0\/24/],
    ['the broadcast address', (s) => void (s['w2']!['networks'] = { underlay: { ipv4_address: '172.28.0.255' } }), /w2: 172\.28\.0\.255 is not a host address/],
    ['the gateway address', (s) => void (s['w2']!['networks'] = { underlay: { ipv4_address: '172.28.0.1' } }), /w2: 172\.28\.0\.1 is the underlay's gateway/],
    ['a duplicate address', (s) => void (s['w2']!['networks'] = { underlay: { ipv4_address: '172.28.0.21' } }), /w2: 172\.28\.0\.21 is also w1's address/],
    ['no fixed address', (s) => void (s['m3']!['networks'] = ['underlay']), /m3: no fixed ipv4_address/],
    ['no subnet', (_s, doc) => void (doc['networks'] = { underlay: { driver: 'bridge' } }), /underlay has no fixed ipam subnet/],
    ['a shared data volume', (s) => void (s['w2']!['volumes'] = ['w1-data:/var/lib/tsswarm', 'tokens:/tokens:ro']), /w2: shares its data volume w1-data with w1/],
    ['no tokens volume', (s) => void (s['w1']!['volumes'] = ['w1-data:/var/lib/tsswarm']), /w1: no "tokens" volume/],
    ['no depends_on', (s) => void delete s['w1']!['depends_on'], /w1: does not depend on m1/],
  ];
  for (const [what, change, want] of cases) {
    const problems = broken(change);
    assert.ok(problems.some((p) => want.test(p)), `${what}: want a problem matching ${want}, got ${JSON.stringify(problems)}`);
  }
});

test('the Dockerfile builds the image and its ENTRYPOINT script exists and is executable', () => {
  assert.deepEqual(dockerfileProblems(dockerfileText, ROOT), []);
  assert.equal(entryScript(dockerfileText), 'scripts/compose-entry.sh');
  assert.deepEqual(dockerignoreProblems(readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')), []);
  // The healthcheck runs the same script.
  const doc = parseCompose(composeText);
  for (const [name, svc] of Object.entries(services(doc))) {
    const hc = svc['healthcheck'];
    assert.ok(isRecord(hc) && Array.isArray(hc['test']), `${name} has a healthcheck`);
    assert.deepEqual(hc['test'], ['CMD', '/app/scripts/compose-entry.sh', 'health']);
  }
});

test('a broken Dockerfile is caught', () => {
  const cases: [string, string, RegExp][] = [
    ['another base', dockerfileText.replace('node:20-bookworm-slim', 'node:20-alpine'), /base image/],
    // The comment above the install still names nftables; only the install counts.
    ['no nftables', dockerfileText.replace('iputils-ping nftables', 'iputils-ping'), /lacks nftables in apt-get install/],
    ['recommends', dockerfileText.replace(' --no-install-recommends', ''), /lacks --no-install-recommends/],
    ['no prune', dockerfileText.replace('npm prune --omit=dev', 'true'), /npm prune --omit=dev/],
    ['no entry point', dockerfileText.replace(/^ENTRYPOINT.*$/m, ''), /no ENTRYPOINT/],
    ['a missing script', dockerfileText.replace('compose-entry.sh"]', 'compose-entrypoint.sh"]'), /compose-entrypoint\.sh \(the ENTRYPOINT\) does not exist/],
    // Exists, but has no exec bit in the repository.
    ['a script that is not executable', dockerfileText.replace('scripts/compose-entry.sh"]', 'package.json"]'), /package\.json is not an executable file/],
  ];
  for (const [what, text, want] of cases) {
    const problems = dockerfileProblems(text, ROOT);
    assert.ok(problems.some((p) => want.test(p)), `${what}: want a problem matching ${want}, got ${JSON.stringify(problems)}`);
  }
  assert.deepEqual(dockerignoreProblems('node_modules\n/dist/\n'), ['.dockerignore does not exclude .work']);
});

test('the entry script passes `sh -n`', () => {
  const entry = path.join(ROOT, 'scripts/compose-entry.sh');
  const ok = spawnSync('sh', ['-n', entry], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  // And sh -n does reject a broken copy, so the check above means something.
  const bad = spawnSync('sh', ['-n'], { input: `${readFileSync(entry, 'utf8')}\nif true; then\n`, encoding: 'utf8' });
  assert.notEqual(bad.status, 0);
});
