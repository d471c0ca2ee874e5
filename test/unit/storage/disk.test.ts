import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Level } from 'level';
import { DiskStorage, StorageError } from '../../../manager/raft/storage/disk.js';
import { crc32Table, encodeEntries, encodeHardState, entryKey, recordChecksum } from '../../../manager/raft/storage/codec.js';
import { EntryType, type Entry } from '../../../manager/raft/core/types.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'tsswarm-disk-test-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = (): string => path.join(root, `d${++n}`);
const ident = { clusterId: 'cluster-a', nodeId: 'n1' };

function ent(index: number, term: number, text = `e${index}`): Entry {
  return { index, term, type: EntryType.Normal, data: Buffer.from(text) };
}
function range(lo: number, hi: number, term: number): Entry[] {
  const out: Entry[] = [];
  for (let i = lo; i <= hi; i++) out.push(ent(i, term));
  return out;
}
const text = (e: Entry): string => Buffer.from(e.data).toString();

/** Edit the raw LevelDB of a closed data dir. */
async function raw(dir: string, fn: (db: Level<Buffer, Buffer>) => Promise<void>): Promise<void> {
  const db = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await db.open();
  try {
    await fn(db);
  } finally {
    await db.close();
  }
}

async function made(entries: Entry[], commit = 0): Promise<string> {
  const dir = freshDir();
  const s = await DiskStorage.open(dir, ident);
  await s.save({ entries, hardState: { term: entries.at(-1)?.term ?? 0, vote: 'n1', commit } }, true);
  await s.close();
  return dir;
}

async function openFails(dir: string, code: string, ...mustMention: string[]): Promise<StorageError> {
  const err = await DiskStorage.open(dir, ident).then(
    () => assert.fail('open should have failed'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof StorageError, `expected StorageError, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  assert.equal(err.dir, dir);
  assert.ok(err.message.includes(dir), `message names the dir: ${err.message}`);
  for (const m of mustMention) assert.ok(err.message.includes(m), `message mentions "${m}": ${err.message}`);
  return err;
}

describe('DiskStorage', () => {
  it('checksums with CRC-32 (IEEE); the fallback for Node < 20.15 agrees with zlib', () => {
    const data = Buffer.from('123456789');
    assert.equal(recordChecksum(data), 0xcbf43926);
    assert.equal(crc32Table(data), 0xcbf43926);
    const big = Buffer.alloc(10_000, 0xa5);
    assert.equal(crc32Table(big), recordChecksum(big));
  });

  it('round-trips entries, hard state and conf across close/reopen', async () => {
    const dir = freshDir();
    let s = await DiskStorage.open(dir, ident);
    assert.equal(s.mem.lastIndex(), 0);
    assert.equal(s.mem.firstIndex(), 1);
    await s.save({ entries: range(1, 5, 1), hardState: { term: 1, vote: 'n1', commit: 3 } }, true);
    await s.save({ entries: [{ index: 6, term: 2, type: EntryType.ConfChange, data: new Uint8Array([0, 1, 255]) }] }, true);
    await s.saveConf({ voters: ['n1', 'n2', 'ñ3'], learners: ['n4'] });
    assert.equal(s.mem.lastIndex(), 6);
    await s.close();

    s = await DiskStorage.open(dir, ident, { create: false });
    assert.equal(s.mem.firstIndex(), 1);
    assert.equal(s.mem.lastIndex(), 6);
    const ents = s.mem.entries(1, 7, Infinity);
    assert.deepEqual(ents.slice(0, 5).map(text), ['e1', 'e2', 'e3', 'e4', 'e5']);
    assert.equal(ents[5]!.type, EntryType.ConfChange);
    assert.deepEqual([...ents[5]!.data], [0, 1, 255]);
    assert.equal(s.mem.term(6), 2);
    assert.deepEqual(s.mem.initialState(), { hardState: { term: 1, vote: 'n1', commit: 3 }, conf: { voters: ['n1', 'n2', 'ñ3'], learners: ['n4'] } });
    await s.close();
  });

  it('replaces a conflicting suffix on disk as in memory', async () => {
    const dir = freshDir();
    let s = await DiskStorage.open(dir, ident);
    await s.save({ entries: range(1, 10, 1) }, true);
    await s.save({ entries: [ent(6, 2, 'new6'), ent(7, 2, 'new7')] }, true);
    assert.equal(s.mem.lastIndex(), 7);
    await s.close();
    s = await DiskStorage.open(dir, ident);
    assert.equal(s.mem.lastIndex(), 7);
    assert.deepEqual(s.mem.entries(5, 8, Infinity).map(text), ['e5', 'new6', 'new7']);
    await s.close();
    await raw(dir, async (db) => {
      assert.equal(await db.get(entryKey(8)), undefined, 'stale entry 8 deleted');
    });
  });

  it('passes the sync flag through to LevelDB, one batch per save', async () => {
    const seen: (boolean | undefined)[] = [];
    const proto = Level.prototype as unknown as { batch: (...a: unknown[]) => unknown };
    const orig = proto.batch;
    proto.batch = function (this: unknown, ...args: unknown[]) {
      const b = orig.apply(this, args) as { write: (o?: { sync?: boolean }) => Promise<void> };
      if (args.length === 0) {
        const w = b.write.bind(b);
        b.write = (o) => {
          seen.push(o?.sync);
          return w(o);
        };
      } else seen.push((args[1] as { sync?: boolean } | undefined)?.sync);
      return b;
    };
    try {
      const s = await DiskStorage.open(freshDir(), ident);
      await s.save({ entries: range(1, 64, 1), hardState: { term: 1, vote: '', commit: 0 } }, true);
      await s.save({ entries: [ent(65, 1)] }, false);
      await s.save({ entries: [], hardState: { term: 2, vote: 'n1', commit: 5 } }, true);
      await s.close();
    } finally {
      proto.batch = orig;
    }
    assert.deepEqual(seen, [true, false, true]);
  });

  it('refuses a flipped byte, naming dir, key and index', async () => {
    const dir = await made(range(1, 8, 1));
    await raw(dir, async (db) => {
      const v = (await db.get(entryKey(5)))!;
      v[v.length - 1] ^= 0x40;
      await db.put(entryKey(5), v);
    });
    const err = await openFails(dir, 'Corrupt', 'e/0000000000000005', 'log index 5', 'checksum');
    assert.equal(err.detail.index, 5);
  });

  it('refuses a truncated record', async () => {
    const dir = await made(range(1, 8, 1));
    await raw(dir, async (db) => {
      const v = (await db.get(entryKey(3)))!;
      await db.put(entryKey(3), v.subarray(0, v.length - 2));
    });
    await openFails(dir, 'Corrupt', 'log index 3', 'truncated');
    await raw(dir, async (db) => {
      await db.put(entryKey(3), Buffer.from([1, 2, 3]));
    });
    await openFails(dir, 'Corrupt', 'log index 3', 'truncated');
  });

  it('refuses a gap in the log', async () => {
    const dir = await made(range(1, 8, 1));
    await raw(dir, async (db) => {
      await db.del(entryKey(4));
    });
    const err = await openFails(dir, 'Corrupt', 'log index 4', 'missing');
    assert.equal(err.detail.index, 4);
    const dir2 = await made(range(1, 8, 1));
    await raw(dir2, async (db) => {
      await db.del(entryKey(1));
    });
    await openFails(dir2, 'Corrupt', 'log index 1', 'missing');
  });

  it('refuses a term going backwards', async () => {
    const dir = await made([...range(1, 3, 1), ...range(4, 6, 3)]);
    await raw(dir, async (db) => {
      const { keys, values } = encodeEntries([ent(5, 2)], 0);
      await db.put(keys[0]!, values[0]!);
    });
    await openFails(dir, 'Corrupt', 'log index 5', 'term 2 is lower than term 3');
  });

  it('refuses a commit index beyond the log', async () => {
    const dir = await made(range(1, 4, 1), 4);
    await raw(dir, async (db) => {
      await db.put(Buffer.from('h'), encodeHardState({ term: 1, vote: 'n1', commit: 9 }));
    });
    await openFails(dir, 'Corrupt', 'commit index 9', 'last log index 4');
  });

  it('refuses a record stored under the wrong key, and unknown records', async () => {
    const dir = await made(range(1, 4, 1));
    await raw(dir, async (db) => {
      await db.put(entryKey(3), (await db.get(entryKey(2)))!);
    });
    await openFails(dir, 'Corrupt', 'log index 3', 'holds the entry of index 2');
    const dir2 = await made(range(1, 4, 1));
    await raw(dir2, async (db) => {
      await db.put(Buffer.from('zz'), Buffer.from('x'));
    });
    await openFails(dir2, 'Corrupt', 'zz', 'unknown record');
  });

  it('refuses another cluster, another node, and a missing dir without create', async () => {
    const dir = await made(range(1, 2, 1));
    const e1 = await DiskStorage.open(dir, { clusterId: 'cluster-b', nodeId: 'n1' }).catch((e: unknown) => e);
    assert.ok(e1 instanceof StorageError);
    assert.equal(e1.code, 'ClusterMismatch');
    assert.match(e1.message, /cluster-a/);
    assert.ok(e1.message.includes(dir));
    const e2 = await DiskStorage.open(dir, { clusterId: 'cluster-a', nodeId: 'n2' }).catch((e: unknown) => e);
    assert.ok(e2 instanceof StorageError);
    assert.equal(e2.code, 'NodeMismatch');
    const missing = freshDir();
    const e3 = await DiskStorage.open(missing, ident, { create: false }).catch((e: unknown) => e);
    assert.ok(e3 instanceof StorageError);
    assert.equal(e3.code, 'NotFound', (e3 as Error).message);
  });

  it('refuses a second open of the same dir while it is open', async () => {
    const dir = freshDir();
    const s = await DiskStorage.open(dir, ident);
    const e = await DiskStorage.open(dir, ident).catch((x: unknown) => x);
    assert.ok(e instanceof StorageError);
    assert.equal(e.code, 'Locked');
    await s.close();
  });

  it('snapshots, compacts, and keeps entries between compaction point and snapshot across reopen', async () => {
    const dir = freshDir();
    let s = await DiskStorage.open(dir, ident);
    await s.save({ entries: range(1, 20, 1), hardState: { term: 1, vote: 'n1', commit: 20 } }, true);
    const snap = await s.createSnapshot(15, { voters: ['n1'], learners: [] }, Buffer.from('state@15'));
    assert.equal(snap.meta.index, 15);
    assert.equal(snap.meta.term, 1);
    await assert.rejects(s.compact(16), (e: unknown) => e instanceof StorageError && e.code === 'InvalidArgument');
    await s.compact(10);
    assert.equal(s.mem.firstIndex(), 11);
    await s.close();

    s = await DiskStorage.open(dir, ident);
    assert.equal(s.mem.firstIndex(), 11);
    assert.equal(s.mem.lastIndex(), 20);
    assert.equal(s.mem.term(10), 1);
    assert.equal(s.mem.snapshot().meta.index, 15);
    assert.equal(Buffer.from(s.mem.snapshot().data).toString(), 'state@15');
    assert.deepEqual(s.mem.entries(11, 13, Infinity).map(text), ['e11', 'e12']);
    await s.compact(15);
    assert.equal(s.mem.firstIndex(), 16);
    await s.close();

    await raw(dir, async (db) => {
      const keys = await db.keys({ gte: Buffer.from('e/'), lt: Buffer.from('e0') }).all();
      assert.deepEqual(
        keys.map((k) => k.toString()),
        range(16, 20, 1).map((e) => entryKey(e.index).toString()),
      );
    });
    s = await DiskStorage.open(dir, ident);
    assert.equal(s.mem.firstIndex(), 16);
    assert.equal(s.mem.snapshot().meta.index, 15);
    await s.close();
  });

  it('persists a received snapshot (replacing the log) and big snapshot data in chunks', async () => {
    const dir = freshDir();
    let s = await DiskStorage.open(dir, ident);
    await s.save({ entries: range(1, 10, 1) }, true);
    const big = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    const conf = { voters: ['n1', 'n2', 'n3'], learners: [] };
    await s.save({ snapshot: { meta: { index: 100, term: 5, conf }, data: big }, entries: [ent(101, 5)], hardState: { term: 5, vote: '', commit: 100 } }, true);
    assert.equal(s.mem.firstIndex(), 101);
    await s.close();

    s = await DiskStorage.open(dir, ident);
    assert.equal(s.mem.firstIndex(), 101);
    assert.equal(s.mem.lastIndex(), 101);
    assert.equal(s.mem.term(100), 5);
    assert.deepEqual(s.mem.initialState().conf, conf);
    assert.ok(Buffer.from(s.mem.snapshot().data).equals(big));
    // A smaller snapshot later must not leave the old data records behind.
    await s.save({ entries: range(102, 110, 5) }, true);
    await s.createSnapshot(105, conf, Buffer.from('small'));
    await s.close();
    await raw(dir, async (db) => {
      const keys = (await db.keys({ gte: Buffer.from('s/'), lt: Buffer.from('s0') }).all()).map((k) => k.toString());
      assert.deepEqual(keys, ['s/d/00000000', 's/m']);
      const ekeys = await db.keys({ gte: Buffer.from('e/'), lt: Buffer.from('e0') }).all();
      assert.equal(ekeys[0]!.toString(), entryKey(101).toString(), 'entries of the replaced log are gone');
    });
    s = await DiskStorage.open(dir, ident);
    assert.equal(Buffer.from(s.mem.snapshot().data).toString(), 'small');
    assert.equal(s.mem.firstIndex(), 101);
    await s.close();
  });

  it('reports a damaged snapshot record', async () => {
    const dir = freshDir();
    const s = await DiskStorage.open(dir, ident);
    await s.save({ entries: range(1, 5, 1) }, true);
    await s.createSnapshot(4, { voters: ['n1'], learners: [] }, Buffer.from('abc'));
    await s.close();
    await raw(dir, async (db) => {
      await db.del(Buffer.from('s/d/00000000'));
    });
    await openFails(dir, 'Corrupt', 's/m', 'log index 4');
  });

  it('rejects a gap in appended entries and any use after close', async () => {
    const s = await DiskStorage.open(freshDir(), ident);
    await s.save({ entries: range(1, 3, 1) }, true);
    await assert.rejects(s.save({ entries: [ent(5, 1)] }, true), (e: unknown) => e instanceof StorageError && e.code === 'InvalidArgument');
    assert.equal(s.mem.lastIndex(), 3);
    await s.close();
    await assert.rejects(s.save({ entries: [ent(4, 1)] }, true), (e: unknown) => e instanceof StorageError && e.code === 'Unavailable');
  });
});
