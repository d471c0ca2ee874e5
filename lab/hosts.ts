// The hosts of a lab: names, roles, addresses and paths, decided before anything is made.
import path from 'node:path';
import { TsswarmError } from '../shared/errors.js';
import { HOST_LINK, MANAGER_HOST_BASE, MAX_MANAGERS, MAX_SOCKET_PATH, MAX_WORKERS, WORKER_HOST_BASE } from './defaults.js';
import { daemonArgv } from './daemon.js';
import { hostNetns, hubLinkName, underlayAddress } from './names.js';
import type { HostState, Role } from './state.js';

function checkCount(what: string, n: number, min: number, max: number): void {
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new TsswarmError('Invalid', `--${what} must be a whole number from ${min} to ${max}, not ${n}`);
  }
}

/** m1..mN then w1..wN, managers on .11.., workers on .21.. of the lab's /24. */
export function planHosts(lab: string, dir: string, cli: string, managers: number, workers: number, dnsUpstream = 'none', gossipKeyRotation?: string): HostState[] {
  checkCount('managers', managers, 1, MAX_MANAGERS);
  checkCount('workers', workers, 0, MAX_WORKERS);
  const hosts: HostState[] = [];
  const add = (role: Role, name: string, lastOctet: number): void => {
    const netns = hostNetns(lab, name);
    const hostDir = path.join(dir, name);
    const paths = { name, dataDir: path.join(hostDir, 'data'), socket: path.join(hostDir, 'tsswarm.sock') };
    if (Buffer.byteLength(paths.socket) > MAX_SOCKET_PATH) {
      throw new TsswarmError('Invalid', `socket path ${paths.socket} is longer than ${MAX_SOCKET_PATH} bytes; set TSSWARM_LAB_ROOT to a shorter directory`);
    }
    hosts.push({
      ...paths,
      role,
      ip: underlayAddress(lab, lastOctet),
      netns,
      hubLink: hubLinkName(lab, name),
      link: HOST_LINK,
      dir: hostDir,
      log: path.join(hostDir, 'daemon.log'),
      daemonArgv: daemonArgv(netns, cli, paths, dnsUpstream, gossipKeyRotation),
      pid: null,
      partitioned: false,
    });
  };
  for (let i = 1; i <= managers; i++) add('manager', `m${i}`, MANAGER_HOST_BASE + i);
  for (let i = 1; i <= workers; i++) add('worker', `w${i}`, WORKER_HOST_BASE + i);
  return hosts;
}
