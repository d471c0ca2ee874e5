// What a node keeps on disk about its membership: who it is, which cluster, its
// addresses, the managers it last knew, and its key and certificates. Written
// atomically (temp file + rename) so a crash never leaves half a state.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Peer } from '../shared/control/proto.js';
import { TsswarmError } from '../shared/errors.js';

export interface NodeState {
  nodeId: string;
  clusterId: string;
  /** host:port the 2377 server binds when this node is a manager. */
  listenAddr: string;
  /** host:port other nodes dial to reach this node's 2377. */
  advertiseAddr: string;
  /** The address VTEPs use for VXLAN to this node. */
  dataPathAddr: string;
  dataPathPort: number;
  /** Managers last heard of, for finding the cluster again after a restart. */
  managers: Peer[];
}

export interface Certs {
  caPem: string;
  certPem: string;
  keyPem: string;
}

export class StateDir {
  readonly root: string;
  constructor(dataDir: string) {
    this.root = path.join(dataDir, 'swarm');
  }

  get raftDir(): string {
    return path.join(this.root, 'raft');
  }

  async load(): Promise<{ state: NodeState; certs: Certs } | undefined> {
    let text: string;
    try {
      text = await readFile(path.join(this.root, 'state.json'), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    try {
      const state = JSON.parse(text) as NodeState;
      const certs = {
        caPem: await readFile(path.join(this.root, 'certs', 'ca.pem'), 'utf8'),
        certPem: await readFile(path.join(this.root, 'certs', 'node.pem'), 'utf8'),
        keyPem: await readFile(path.join(this.root, 'certs', 'node.key'), 'utf8'),
      };
      return { state, certs };
    } catch (e) {
      throw new TsswarmError('Corrupt', `swarm state in ${this.root} is unreadable (${(e as Error).message}); move the directory away and join again`);
    }
  }

  async saveState(state: NodeState): Promise<void> {
    await atomicWrite(path.join(this.root, 'state.json'), JSON.stringify(state, null, 2) + '\n', 0o600);
  }

  async saveCerts(c: Certs): Promise<void> {
    const dir = path.join(this.root, 'certs');
    await atomicWrite(path.join(dir, 'ca.pem'), c.caPem, 0o644);
    await atomicWrite(path.join(dir, 'node.key'), c.keyPem, 0o600);
    await atomicWrite(path.join(dir, 'node.pem'), c.certPem, 0o644);
  }

  async removeRaft(): Promise<void> {
    await rm(this.raftDir, { recursive: true, force: true });
  }

  /** Forget the swarm entirely (leave). */
  async wipe(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }
}

async function atomicWrite(file: string, data: string, mode: number): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, data, { mode });
  await rename(tmp, file);
}
