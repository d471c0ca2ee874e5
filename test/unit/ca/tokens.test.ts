import { failsWith } from '../errors.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { generateCA } from '../../../shared/pki/index.js';
import { TsswarmError } from '../../../shared/errors.js';
import { caDigest, makeJoinToken, parseJoinToken, tokenMatches, verifyCaPin } from '../../../manager/ca/tokens.js';

const caA = await generateCA('swarm-ca');
const caB = await generateCA('swarm-ca');

const isInvalid = (re: RegExp): ((e: unknown) => boolean) => failsWith('Invalid', re);

test('token has the exact Docker shape', () => {
  const t = makeJoinToken(caA.certPem);
  assert.match(t, /^SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}$/);
  assert.equal(t.length, 'SWMTKN-1-'.length + 50 + 1 + 25);
});

test('round trip: parse gives back the digest and secret', () => {
  const t = makeJoinToken(caA.certPem);
  const p = parseJoinToken(t);
  assert.equal(p.version, 1);
  assert.equal(p.caDigest, caDigest(caA.certPem));
  assert.equal(`SWMTKN-1-${p.caDigest}-${p.secret}`, t);
});

test('digest is the SHA-256 of the DER, in base 36 padded to 50', () => {
  const der = new X509Certificate(caA.certPem).raw;
  const hex = createHash('sha256').update(der).digest('hex');
  assert.equal(caDigest(caA.certPem), BigInt('0x' + hex).toString(36).padStart(50, '0'));
  // PEM re-encoding (no trailing newline, CRLF) does not move the pin.
  assert.equal(caDigest(caA.certPem.trimEnd().replace(/\n/g, '\r\n')), caDigest(caA.certPem));
});

test('each token draws a fresh secret', () => {
  const secrets = new Set(Array.from({ length: 50 }, () => parseJoinToken(makeJoinToken(caA.certPem)).secret));
  assert.equal(secrets.size, 50);
});

test('malformed tokens are refused with a reason', () => {
  const good = makeJoinToken(caA.certPem);
  const { caDigest: d, secret: s } = parseJoinToken(good);
  const cases: [string, RegExp][] = [
    ['', /empty/],
    [`SWMTKM-1-${d}-${s}`, /does not start with "SWMTKN-"/],
    [`swmtkn-1-${d}-${s}`, /does not start/],
    [`SWMTKN-2-${d}-${s}`, /unsupported version "2"/],
    [`SWMTKN-01-${d}-${s}`, /unsupported version/],
    [`SWMTKN-1-${d}`, /3 dash-separated parts/],
    [`SWMTKN-1-${d}-${s}-FIPS`, /5 dash-separated parts/],
    [`SWMTKN-1-${d.slice(1)}-${s}`, /digest has 49 characters/],
    [`SWMTKN-1-0${d}-${s}`, /digest has 51 characters/],
    [`SWMTKN-1-${d}-${s.slice(1)}`, /secret has 24 characters/],
    [`SWMTKN-1-${d}-${s}0`, /secret has 26 characters/],
    [`SWMTKN-1-${d.toUpperCase().replace(/^./, 'A')}-${s}`, /digest has characters outside/],
    [`SWMTKN-1-${d.slice(0, 49)}_-${s}`, /digest has characters outside/],
    [`SWMTKN-1-${d}-${s.slice(0, 24)}!`, /secret has characters outside/],
    [`SWMTKN-1-${'z'.repeat(50)}-${s}`, /larger than a SHA-256/],
  ];
  for (const [tok, re] of cases) {
    assert.throws(() => parseJoinToken(tok), isInvalid(re), `token ${JSON.stringify(tok)}`);
  }
});

test('the error message does not echo the secret', () => {
  const { caDigest: d, secret: s } = parseJoinToken(makeJoinToken(caA.certPem));
  try {
    parseJoinToken(`SWMTKN-2-${d}-${s}`);
    assert.fail('expected a throw');
  } catch (e) {
    assert.ok(e instanceof TsswarmError);
    assert.ok(!e.message.includes(s));
  }
});

test('pin verification: true for the right CA, false for another or garbage', () => {
  const t = makeJoinToken(caA.certPem);
  assert.equal(verifyCaPin(t, caA.certPem), true);
  assert.equal(verifyCaPin(t, caB.certPem), false);
  assert.equal(verifyCaPin(t, 'not a pem'), false);
  // A bundle that starts with the pinned CA must not smuggle in a second one.
  assert.equal(verifyCaPin(t, caA.certPem + caB.certPem), false);
  assert.throws(() => verifyCaPin('SWMTKN-1-x-y', caA.certPem), isInvalid(/digest has 1 characters/));
});

test('tokenMatches: equal only for the identical token', () => {
  const t = makeJoinToken(caA.certPem);
  const other = makeJoinToken(caA.certPem);
  assert.equal(tokenMatches(t, t), true);
  assert.equal(tokenMatches(t, other), false);
  assert.equal(tokenMatches(t, t.slice(0, -1)), false);
  assert.equal(tokenMatches(t, t + 'x'), false);
  assert.equal(tokenMatches(t, ''), false);
  assert.equal(tokenMatches('', ''), false);
});
