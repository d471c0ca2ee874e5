import assert from 'node:assert/strict';
import { failsWith } from '../errors.js';
import { describe, it } from 'node:test';

import { TsswarmError } from '../../../shared/errors.js';
import {
  cidrSize, containsAddress, containsCidr, firstHost, formatCidr, formatIPv4, lastAddress, lastHost, networkOf, overlaps,
  parseCidr, parseHostCidr, parseIPv4, prefixMask, subnetsOf,
} from '../../../shared/net/cidr.js';

const invalid = (message: string | RegExp): ((e: unknown) => boolean) => failsWith('Invalid', message);

const c = (s: string) => parseCidr(s);

describe('IPv4 addresses', () => {
  it('parses and formats the whole range', () => {
    assert.equal(parseIPv4('0.0.0.0'), 0);
    assert.equal(parseIPv4('255.255.255.255'), 0xffffffff);
    assert.equal(parseIPv4('10.0.1.5'), 0x0a000105);
    assert.equal(parseIPv4('192.168.0.1'), 0xc0a80001);
    for (const s of ['0.0.0.0', '1.2.3.4', '255.255.255.255', '128.0.0.0', '10.20.30.40']) assert.equal(formatIPv4(parseIPv4(s)), s);
  });

  it('refuses malformed text with the reason', () => {
    const bad: [string, RegExp][] = [
      ['10.0.0.300', /octet 300 is out of range/],
      ['10.0.0', /four dot-separated/],
      ['10.0.0.1.2', /four dot-separated/],
      ['10.0.0.01', /leading zero/],
      ['10.0.0.-1', /not a decimal octet/],
      ['10.0.0.', /not a decimal octet/],
      ['10.0.0.1 ', /not a decimal octet/],
      [' 10.0.0.1', /not a decimal octet/],
      ['0x0a.0.0.1', /not a decimal octet/],
      ['1e1.0.0.1', /not a decimal octet/],
      ['', /four dot-separated/],
      ['::1', /four dot-separated/],
    ];
    for (const [text, why] of bad) assert.throws(() => parseIPv4(text), invalid(why), text);
    assert.throws(() => parseIPv4('10.0.0.256', 'gateway'), invalid('invalid gateway 10.0.0.256: octet 256 is out of range'));
  });

  it('refuses to format what is not a uint32', () => {
    for (const n of [-1, 2 ** 32, 1.5, Number.NaN]) assert.throws(() => formatIPv4(n), invalid(/not an IPv4 address/));
  });
});

describe('CIDR parsing', () => {
  it('parses network blocks, /0 to /32', () => {
    assert.deepEqual(c('10.0.0.0/24'), { network: 0x0a000000, prefix: 24 });
    assert.deepEqual(c('0.0.0.0/0'), { network: 0, prefix: 0 });
    assert.deepEqual(c('10.0.0.7/32'), { network: 0x0a000007, prefix: 32 });
    assert.deepEqual(c('255.255.255.254/31'), { network: 0xfffffffe, prefix: 31 });
    assert.equal(formatCidr(c('172.16.0.0/12')), '172.16.0.0/12');
  });

  it('says what is wrong', () => {
    assert.throws(() => c('10.0.0.300/24'), invalid(/^invalid CIDR 10\.0\.0\.300\/24: octet 300 is out of range$/));
    assert.throws(() => c('10.0.0.0'), invalid('invalid CIDR 10.0.0.0: missing "/prefix"'));
    assert.throws(() => c('10.0.0.0/33'), invalid(/^invalid CIDR 10\.0\.0\.0\/33: prefix 33 is larger than 32$/));
    for (const p of ['', '-1', '024', '2.4', '24 ', 'x', '100']) {
      assert.throws(() => c(`10.0.0.0/${p}`), invalid(/^invalid CIDR 10\.0\.0\.0\/.*: prefix/), p);
    }
    assert.throws(() => c('10.0.0.0/24/24'), invalid(/^invalid CIDR/));
  });

  it('refuses host bits and suggests the network, as Docker does', () => {
    assert.throws(() => c('10.0.0.1/24'), invalid('10.0.0.1/24 is not a network address; did you mean 10.0.0.0/24?'));
    assert.throws(() => c('10.1.2.3/8'), invalid('10.1.2.3/8 is not a network address; did you mean 10.0.0.0/8?'));
    assert.throws(() => c('1.0.0.0/0'), invalid(/did you mean 0\.0\.0\.0\/0\?$/));
  });

  it('parses interface addresses, host bits allowed', () => {
    const h = parseHostCidr('10.0.1.5/24');
    assert.deepEqual(h, { address: 0x0a000105, prefix: 24 });
    assert.equal(formatCidr(networkOf(h)), '10.0.1.0/24');
    assert.throws(() => parseHostCidr('10.0.1.5'), invalid(/missing/));
  });
});

describe('CIDR arithmetic', () => {
  it('masks, sizes and host bounds', () => {
    assert.equal(prefixMask(0), 0);
    assert.equal(prefixMask(24), 0xffffff00);
    assert.equal(prefixMask(32), 0xffffffff);
    assert.equal(prefixMask(1), 0x80000000);
    assert.throws(() => prefixMask(33), invalid(/prefix length 33/));
    assert.equal(cidrSize(c('0.0.0.0/0')), 2 ** 32);
    assert.equal(cidrSize(c('10.0.0.0/24')), 256);
    assert.equal(formatIPv4(lastAddress(c('10.0.0.0/24'))), '10.0.0.255');
    assert.equal(formatIPv4(lastAddress(c('0.0.0.0/0'))), '255.255.255.255');
    assert.equal(formatIPv4(firstHost(c('10.0.0.0/24'))), '10.0.0.1');
    assert.equal(formatIPv4(lastHost(c('10.0.0.0/24'))), '10.0.0.254');
    assert.equal(formatIPv4(firstHost(c('10.0.0.4/30'))), '10.0.0.5');
    assert.equal(formatIPv4(lastHost(c('10.0.0.4/30'))), '10.0.0.6');
    // RFC 3021: a /31 has two usable addresses, a /32 one.
    assert.equal(formatIPv4(firstHost(c('10.0.0.4/31'))), '10.0.0.4');
    assert.equal(formatIPv4(lastHost(c('10.0.0.4/31'))), '10.0.0.5');
    assert.equal(firstHost(c('10.0.0.9/32')), lastHost(c('10.0.0.9/32')));
  });

  it('contains addresses and blocks', () => {
    const net = c('10.0.1.0/24');
    assert.ok(containsAddress(net, parseIPv4('10.0.1.0')));
    assert.ok(containsAddress(net, parseIPv4('10.0.1.255')));
    assert.ok(!containsAddress(net, parseIPv4('10.0.2.0')));
    assert.ok(!containsAddress(net, parseIPv4('10.0.0.255')));
    assert.ok(containsCidr(c('10.0.0.0/8'), net));
    assert.ok(containsCidr(net, net));
    assert.ok(!containsCidr(net, c('10.0.0.0/8')));
    assert.ok(!containsCidr(net, c('10.0.2.0/24')));
    assert.ok(containsCidr(c('0.0.0.0/0'), c('255.255.255.255/32')));
  });

  it('overlap: containment both ways counts, adjacency does not', () => {
    const a = c('10.0.0.0/24');
    const cases: [string, string, boolean][] = [
      ['10.0.0.0/24', '10.0.0.0/24', true],
      ['10.0.0.0/24', '10.0.0.128/25', true],
      ['10.0.0.0/16', '10.0.5.0/24', true],
      ['10.0.0.0/24', '10.0.1.0/24', false],
      ['10.0.0.0/24', '9.255.255.0/24', false],
      ['10.0.0.0/25', '10.0.0.128/25', false],
      ['0.0.0.0/0', '192.168.1.1/32', true],
      ['10.0.0.255/32', '10.0.1.0/32', false],
    ];
    for (const [x, y, want] of cases) {
      assert.equal(overlaps(c(x), c(y)), want, `${x} vs ${y}`);
      assert.equal(overlaps(c(y), c(x)), want, `${y} vs ${x}`);
    }
    assert.ok(overlaps(a, a));
  });

  it('iterates the subnets of a pool, lowest first, lazily', () => {
    assert.deepEqual([...subnetsOf(c('10.0.0.0/22'), 24)].map(formatCidr),
      ['10.0.0.0/24', '10.0.1.0/24', '10.0.2.0/24', '10.0.3.0/24']);
    assert.deepEqual([...subnetsOf(c('10.0.0.0/24'), 24)].map(formatCidr), ['10.0.0.0/24']);
    // From an address inside the pool: the first whole block at or after it.
    assert.deepEqual([...subnetsOf(c('10.0.0.0/22'), 24, parseIPv4('10.0.1.7'))].map(formatCidr),
      ['10.0.2.0/24', '10.0.3.0/24']);
    const first = subnetsOf(c('0.0.0.0/0'), 30).next();
    assert.ok(!first.done);
    assert.equal(formatCidr(first.value), '0.0.0.0/30');
    const top = [...subnetsOf(c('255.255.255.0/24'), 25)].map(formatCidr);
    assert.deepEqual(top, ['255.255.255.0/25', '255.255.255.128/25']);
    assert.throws(() => [...subnetsOf(c('10.0.0.0/24'), 16)], invalid('a /16 does not fit in 10.0.0.0/24'));
  });
});

describe('parser agrees with a reference grammar', () => {
  it('on many generated strings', () => {
    const octet = '(0|[1-9][0-9]?|1[0-9][0-9]|2[0-4][0-9]|25[0-5])';
    const ipRe = new RegExp(`^${octet}\\.${octet}\\.${octet}\\.${octet}$`);
    const cidrRe = new RegExp(`^${octet}\\.${octet}\\.${octet}\\.${octet}/([0-9]|[12][0-9]|3[0-2])$`);
    const alphabet = '0123456789../';
    const pieces = ['0', '00', '01', '9', '10', '99', '100', '199', '249', '255', '256', '300', '999', '1000', '.', '/', '32', '33', '-', ' '];
    let seed = 12345;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    let validIps = 0;
    let validCidrs = 0;
    for (let k = 0; k < 20000; k++) {
      let s = '';
      const len = 1 + next(9);
      for (let j = 0; j < len; j++) s += next(3) === 0 ? alphabet[next(alphabet.length)] : pieces[next(pieces.length)];
      const form = next(3);
      if (form === 1) s = `${next(256)}.${next(300)}.${next(256)}.${s}`;
      if (form === 2) s = `${next(256)}.${next(256)}.${next(256)}.${next(300)}/${s}`;
      const ipOk = ipRe.test(s);
      let parsedIp = true;
      try {
        assert.equal(formatIPv4(parseIPv4(s)), s);
      } catch (e) {
        if (!(e instanceof TsswarmError)) throw e;
        parsedIp = false;
      }
      assert.equal(parsedIp, ipOk, `parseIPv4(${JSON.stringify(s)})`);
      if (ipOk) validIps++;
      let parsedCidr = true;
      try {
        const h = parseHostCidr(s);
        assert.equal(`${formatIPv4(h.address)}/${h.prefix}`, s);
      } catch (e) {
        if (!(e instanceof TsswarmError)) throw e;
        parsedCidr = false;
      }
      assert.equal(parsedCidr, cidrRe.test(s), `parseHostCidr(${JSON.stringify(s)})`);
      if (parsedCidr) validCidrs++;
    }
    // The generator must exercise both sides of the grammar, not only garbage.
    assert.ok(validIps > 100 && validCidrs > 100, `valid: ${validIps} addresses, ${validCidrs} CIDRs`);
  });
});
