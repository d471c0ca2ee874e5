// init/join address flags, checked and completed as docker does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { parseHostPort, resolveAddrs } from '../../../daemon/addr.js';
import { failsWith } from '../errors.js';

test('host[:port] with 2377 as the default port', () => {
  assert.deepEqual(parseHostPort('10.1.2.3', 'x'), { host: '10.1.2.3', port: 2377 });
  assert.deepEqual(parseHostPort('10.1.2.3:4000', 'x'), { host: '10.1.2.3', port: 4000 });
  assert.deepEqual(parseHostPort(':4000', 'x'), { host: '', port: 4000 });
  assert.throws(() => parseHostPort('10.1.2.3:70000', 'listen address'), failsWith('Invalid', /invalid listen address "10.1.2.3:70000"/));
  assert.throws(() => parseHostPort('a:b:c', 'x'), failsWith('Invalid', /want host\[:port\]/));
});

test('explicit addresses are kept; advertise takes the listen port; data path defaults to the advertised IP', () => {
  assert.deepEqual(resolveAddrs({ listenAddr: '0.0.0.0:2400', advertiseAddr: '10.0.0.5' }), {
    listenAddr: '0.0.0.0:2400', advertiseAddr: '10.0.0.5:2400', dataPathAddr: '10.0.0.5',
  });
  assert.deepEqual(resolveAddrs({ listenAddr: '10.0.0.5:2377', dataPathAddr: '10.9.9.9' }), {
    listenAddr: '10.0.0.5:2377', advertiseAddr: '10.0.0.5:2377', dataPathAddr: '10.9.9.9',
  });
  assert.throws(() => resolveAddrs({ advertiseAddr: 'no-such-if0' }), failsWith('Invalid', /not an IPv4 address or interface/));
  assert.throws(() => resolveAddrs({ advertiseAddr: '10.0.0.5', dataPathAddr: 'no-such-if0' }), failsWith('Invalid', /invalid data path address/));
});

test('an interface name stands for its one IPv4 address', () => {
  const lo = Object.entries(networkInterfaces()).find(([, a]) => (a ?? []).filter((x) => x.family === 'IPv4').length === 1);
  if (!lo) return;
  const ip = lo[1]!.find((x) => x.family === 'IPv4')!.address;
  assert.equal(resolveAddrs({ advertiseAddr: lo[0] }).advertiseAddr, `${ip}:2377`);
});

test('with no advertise address, the host\'s one non-loopback IPv4 is used, or a clear refusal', () => {
  const external = Object.values(networkInterfaces()).flat().filter((a) => a && a.family === 'IPv4' && !a.internal);
  if (external.length === 1) {
    assert.equal(resolveAddrs({}).advertiseAddr, `${external[0]!.address}:2377`);
  } else {
    assert.throws(() => resolveAddrs({}), failsWith('Invalid', /could not choose an IP address to advertise|no non-loopback IPv4/));
  }
});
