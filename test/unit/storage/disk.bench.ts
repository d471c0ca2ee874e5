// Synced-save latency of DiskStorage, next to the floors it cannot beat on this disk:
// a raw synced LevelDB put of the same bytes, and write+fdatasync on a plain file.
// Run: node dist/test/unit/storage/disk.bench.js [iterations]
import { mkdtempSync, rmSync, openSync, writeSync, fdatasyncSync, closeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Level } from 'level';
import { DiskStorage } from '../../../manager/raft/storage/disk.js';
import { EntryType, type Entry } from '../../../manager/raft/core/types.js';

const iterations = Number(process.argv[2] ?? 300);
const root = mkdtempSync(path.join(os.tmpdir(), 'tsswarm-disk-bench-'));

function stats(samples: number[]): string {
  const s = samples.slice().sort((a, b) => a - b);
  const q = (p: number): string => (s[Math.min(s.length - 1, Math.floor(p * s.length))]! * 1000).toFixed(0);
  const mean = (s.reduce((a, b) => a + b, 0) / s.length) * 1000;
  return `mean ${mean.toFixed(0)} µs  p50 ${q(0.5)}  p99 ${q(0.99)}  (${s.length} runs)`;
}

async function timed(n: number, fn: (i: number) => Promise<void> | void): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    out.push(performance.now() - t);
  }
  return out;
}

// As the driver runs it: a snapshot every 10,000 entries, compacting to 500 behind it.
const SNAPSHOT_EVERY = 10_000;
const KEEP = 500;

async function benchSave(perReady: number, sync: boolean): Promise<string> {
  const s = await DiskStorage.open(path.join(root, `s-${perReady}-${sync}`), { clusterId: 'bench', nodeId: 'n1' });
  // Time spent mirroring into MemoryStorage (the core's code), reported apart from the disk work.
  let memMs = 0;
  const append = s.mem.append.bind(s.mem);
  s.mem.append = (ents: Entry[]): void => {
    const t = performance.now();
    append(ents);
    memMs += performance.now() - t;
  };
  const payload = Buffer.alloc(300, 7);
  let index = 0;
  let snapAt = 0;
  const mk = (): Entry[] => {
    const ents: Entry[] = [];
    for (let j = 0; j < perReady; j++) ents.push({ index: ++index, term: 1, type: EntryType.Normal, data: payload });
    return ents;
  };
  const step = async (): Promise<void> => {
    await s.save({ entries: mk(), hardState: { term: 1, vote: 'n1', commit: index } }, sync);
    if (index - snapAt >= SNAPSHOT_EVERY) {
      snapAt = index;
      await s.createSnapshot(index, { voters: ['n1'], learners: [] }, payload);
      await s.compact(index - KEEP);
    }
  };
  for (let i = 0; i < 20; i++) await step(); // warm-up
  memMs = 0;
  const samples = await timed(iterations, step);
  const ms = samples.reduce((a, b) => a + b, 0);
  await s.close();
  const t = performance.now();
  const re = await DiskStorage.open(path.join(root, `s-${perReady}-${sync}`), { clusterId: 'bench', nodeId: 'n1' });
  const openMs = performance.now() - t;
  const count = re.mem.lastIndex() - re.mem.firstIndex() + 1;
  await re.close();
  const memUs = ((memMs / iterations) * 1000).toFixed(0);
  return `${stats(samples)}  => ${((iterations * perReady) / (ms / 1000)).toFixed(0)} entries/s; of the mean ${memUs} µs in MemoryStorage.append; reopen+verify of ${count} entry records: ${openMs.toFixed(0)} ms`;
}

async function benchRawLevel(bytes: number): Promise<string> {
  const db = new Level<Buffer, Buffer>(path.join(root, `raw-${bytes}`), { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await db.open();
  const v = Buffer.alloc(bytes, 1);
  for (let i = 0; i < 20; i++) await db.put(Buffer.from(`k${i}`), v, { sync: true });
  const samples = await timed(iterations, (i) => db.put(Buffer.from(`k${i}`), v, { sync: true }));
  await db.close();
  return stats(samples);
}

function benchFsync(bytes: number): string {
  const fd = openSync(path.join(root, 'plain'), 'w');
  const b = Buffer.alloc(bytes, 2);
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t = performance.now();
    writeSync(fd, b);
    fdatasyncSync(fd);
    samples.push(performance.now() - t);
  }
  closeSync(fd);
  return stats(samples);
}

try {
  console.log(`floor: write+fdatasync 350 B            ${benchFsync(350)}`);
  console.log(`floor: raw LevelDB put sync 350 B       ${await benchRawLevel(350)}`);
  console.log(`DiskStorage.save sync,   1 x 300 B      ${await benchSave(1, true)}`);
  console.log(`DiskStorage.save sync,  64 x 300 B      ${await benchSave(64, true)}`);
  console.log(`DiskStorage.save nosync, 1 x 300 B      ${await benchSave(1, false)}`);
  console.log(`DiskStorage.save nosync, 64 x 300 B     ${await benchSave(64, false)}`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
