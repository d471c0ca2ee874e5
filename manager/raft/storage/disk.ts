// The durable Raft log: LevelDB underneath, MemoryStorage on top as the copy the core reads.
// Every write goes to disk as one LevelDB batch first and reaches `mem` only after
// the batch resolved, so the core never sees state that a crash could take back.
// At open every record is verified; damage is reported, never repaired by dropping data.
import { Level } from 'level';
import { MemoryStorage } from '../core/memory_storage.js';
import type { ConfState, Entry, HardState, NodeId, Snapshot } from '../core/types.js';
import {
  ENTRY_PREFIX,
  FORMAT_VERSION,
  KEY_CONF,
  KEY_HARD_STATE,
  KEY_LOG_START,
  KEY_META,
  KEY_SNAP_META,
  RecordError,
  SNAP_CHUNK_PREFIX,
  decodeConf,
  decodeEntry,
  decodeHardState,
  decodeLogStart,
  decodeMeta,
  decodeSnapMeta,
  encodeChunk,
  encodeConf,
  encodeEntries,
  encodeHardState,
  encodeLogStart,
  encodeMeta,
  encodeSnapMeta,
  entryKey,
  parseEntryKey,
  snapChunkKey,
  unframe,
  type LogStart,
  type SnapMetaRecord,
} from './codec.js';
import { StorageError } from './errors.js';

export { StorageError, type StorageErrorCode } from './errors.js';

export interface StorageIdent {
  clusterId: string;
  nodeId: NodeId;
}

export interface SaveRequest {
  hardState?: HardState;
  entries: Entry[];
  snapshot?: Snapshot;
}

type DB = Level<Buffer, Buffer>;
type ChainedBatch = ReturnType<DB['batch']>;

const K_META = Buffer.from(KEY_META);
const K_HARD_STATE = Buffer.from(KEY_HARD_STATE);
const K_CONF = Buffer.from(KEY_CONF);
const K_LOG_START = Buffer.from(KEY_LOG_START);
const K_SNAP_META = Buffer.from(KEY_SNAP_META);
// 1 MiB per snapshot record: LevelDB handles values this size well, and a big
// snapshot does not become one giant value that every compaction rewrites whole.
const SNAP_CHUNK = 1024 * 1024;
// Entries read per iterator step at open; with the byte limit below this keeps
// the open fast without holding more than a few MiB of raw records at once.
const READ_BATCH = 1024;
const READ_HIGH_WATER_BYTES = 4 * 1024 * 1024;

function keyText(key: Buffer): string {
  return /^[\x20-\x7e]*$/.test(key.toString('latin1')) ? key.toString('latin1') : `0x${key.toString('hex')}`;
}

function corrupt(dir: string, where: string, why: string, detail: { key?: string; index?: number } = {}): StorageError {
  return new StorageError('Corrupt', `raft data dir ${dir} is corrupt: ${where}: ${why}`, dir, detail);
}

interface Loaded {
  mem: MemoryStorage;
  logStart: LogStart;
  last: number;
  snapIndex: number;
  snapChunks: number;
}

export class DiskStorage {
  /** What the core reads. Only DiskStorage writes to it, and only after the disk did. */
  readonly mem: MemoryStorage;
  /** The LevelDB directory. */
  readonly dir: string;
  private readonly db: DB;
  /** Index/term of the entry before the first entry record on disk. */
  private logStart: LogStart;
  /** Index of the last entry record on disk (logStart.index when there is none). */
  private last: number;
  private snapIndex: number;
  /** Number of snapshot data records on disk, so a smaller snapshot can delete the rest. */
  private snapChunks: number;
  /** Writes run one at a time, in call order. */
  private tail: Promise<unknown> = Promise.resolve();
  private broken: StorageError | null = null;
  private closed = false;

  private constructor(db: DB, dir: string, l: Loaded) {
    this.db = db;
    this.dir = dir;
    this.mem = l.mem;
    this.logStart = l.logStart;
    this.last = l.last;
    this.snapIndex = l.snapIndex;
    this.snapChunks = l.snapChunks;
  }

  /**
   * Open (by default creating) the Raft data dir `dir`. Refuses a dir that belongs
   * to another cluster or node, and one with any damaged or inconsistent record.
   */
  static async open(dir: string, ident: StorageIdent, opts: { create?: boolean } = {}): Promise<DiskStorage> {
    const create = opts.create ?? true;
    const db: DB = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer', createIfMissing: create });
    try {
      await db.open();
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      if (cause?.code === 'LEVEL_LOCKED') {
        throw new StorageError('Locked', `raft data dir ${dir} is in use by another process (LevelDB lock held)`, dir, { cause: e });
      }
      if (!create && /does not exist/.test(cause?.message ?? '')) {
        throw new StorageError('NotFound', `raft data dir ${dir} does not exist`, dir, { cause: e });
      }
      throw new StorageError('Unavailable', `cannot open raft data dir ${dir}: ${cause?.message ?? (e as Error).message}`, dir, { cause: e });
    }
    try {
      const loaded = await load(db, dir, ident, create);
      return new DiskStorage(db, dir, loaded);
    } catch (e) {
      await db.close().catch(() => undefined);
      throw e;
    }
  }

  /**
   * Persist one Ready: snapshot, then entries (replacing any conflicting suffix),
   * then hard state, as a single LevelDB batch, fsynced when `sync`.
   */
  save(rd: SaveRequest, sync: boolean): Promise<void> {
    return this.serial(async () => {
      const batch = this.db.batch();
      let logStart = this.logStart;
      let last = this.last;
      let snapChunks = this.snapChunks;
      const snap = rd.snapshot;
      if (snap) {
        if (snap.meta.index <= this.snapIndex) {
          throw this.invalid(`snapshot at index ${snap.meta.index} is not newer than the stored one at ${this.snapIndex}`);
        }
        snapChunks = this.putSnapshot(batch, snap);
        // A received snapshot replaces the whole log, as it does in mem.
        for (let i = logStart.index + 1; i <= last; i++) batch.del(entryKey(i));
        logStart = { index: snap.meta.index, term: snap.meta.term };
        last = snap.meta.index;
        batch.put(K_LOG_START, encodeLogStart(logStart));
        batch.put(K_CONF, encodeConf(snap.meta.conf));
      }
      const ents = rd.entries;
      let from = 0;
      while (from < ents.length && ents[from]!.index <= logStart.index) from++;
      if (from < ents.length) {
        const first = ents[from]!.index;
        if (first > last + 1) throw this.invalid(`appending entry ${first} would leave a gap after the last stored index ${last}`);
        for (let i = from + 1; i < ents.length; i++) {
          if (ents[i]!.index !== first + (i - from)) throw this.invalid(`entries to append are not contiguous at index ${ents[i]!.index}`);
        }
        const { keys, values } = encodeEntries(ents, from);
        for (let i = 0; i < keys.length; i++) batch.put(keys[i]!, values[i]!);
        const newLast = ents[ents.length - 1]!.index;
        for (let i = newLast + 1; i <= last; i++) batch.del(entryKey(i));
        last = newLast;
      }
      if (rd.hardState) batch.put(K_HARD_STATE, encodeHardState(rd.hardState));
      await this.write(batch, sync);

      this.logStart = logStart;
      this.last = last;
      this.snapChunks = snapChunks;
      if (snap) {
        this.snapIndex = snap.meta.index;
        this.mem.applySnapshot(snap);
        this.mem.setConf(snap.meta.conf);
      }
      if (from < ents.length) this.mem.append(from === 0 ? ents : ents.slice(from));
      if (rd.hardState) this.mem.setHardState(rd.hardState);
    });
  }

  /** Persist the membership (fsynced). */
  saveConf(conf: ConfState): Promise<void> {
    return this.serial(async () => {
      const batch = this.db.batch();
      batch.put(K_CONF, encodeConf(conf));
      await this.write(batch, true);
      this.mem.setConf(conf);
    });
  }

  /** Record a snapshot of the application at `index` (which must be in the log); fsynced. Does not compact. */
  createSnapshot(index: number, conf: ConfState, data: Uint8Array): Promise<Snapshot> {
    return this.serial(async () => {
      if (index <= this.snapIndex) throw this.invalid(`snapshot at index ${index} is not newer than the stored one at ${this.snapIndex}`);
      if (index > this.last) throw this.invalid(`cannot snapshot at index ${index} beyond the last stored index ${this.last}`);
      const snap: Snapshot = { meta: { index, term: this.mem.term(index), conf }, data };
      const batch = this.db.batch();
      const snapChunks = this.putSnapshot(batch, snap);
      await this.write(batch, true);
      this.snapChunks = snapChunks;
      this.snapIndex = index;
      return this.mem.createSnapshot(index, conf, data);
    });
  }

  /** Delete log entries up to and including `index`, which must not be past the snapshot. */
  compact(index: number): Promise<void> {
    return this.serial(async () => {
      if (index <= this.logStart.index) return;
      if (index > this.snapIndex) throw this.invalid(`cannot compact to index ${index}: past the snapshot at ${this.snapIndex}`);
      if (index > this.last) throw this.invalid(`cannot compact to index ${index}: past the last stored index ${this.last}`);
      const logStart = { index, term: this.mem.term(index) };
      const batch = this.db.batch();
      for (let i = this.logStart.index + 1; i <= index; i++) batch.del(entryKey(i));
      batch.put(K_LOG_START, encodeLogStart(logStart));
      // Not synced: losing a compaction to a power cut only leaves entries that are still valid.
      await this.write(batch, false);
      this.logStart = logStart;
      this.mem.compact(index);
    });
  }

  /** Waits for writes already asked for, then closes; later calls fail with Unavailable. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.tail.catch(() => undefined);
    this.broken ??= new StorageError('Unavailable', `raft data dir ${this.dir} is closed`, this.dir);
    await this.db.close();
  }

  private serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.tail.then(() => {
      if (this.broken) throw this.broken;
      return op();
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async write(batch: ChainedBatch, sync: boolean): Promise<void> {
    try {
      await batch.write({ sync });
    } catch (e) {
      // After a failed (f)sync nothing about the file's contents can be trusted: refuse all further writes.
      this.broken = new StorageError('Unavailable', `write to raft data dir ${this.dir} failed: ${(e as Error).message}`, this.dir, { cause: e });
      throw this.broken;
    }
  }

  private putSnapshot(batch: ChainedBatch, snap: Snapshot): number {
    const data = snap.data;
    const chunks = Math.ceil(data.length / SNAP_CHUNK);
    for (let i = 0; i < chunks; i++) batch.put(snapChunkKey(i), encodeChunk(data.subarray(i * SNAP_CHUNK, (i + 1) * SNAP_CHUNK)));
    for (let i = chunks; i < this.snapChunks; i++) batch.del(snapChunkKey(i));
    batch.put(K_SNAP_META, encodeSnapMeta({ meta: snap.meta, dataLength: data.length, chunks }));
    return chunks;
  }

  private invalid(why: string): StorageError {
    return new StorageError('InvalidArgument', `raft data dir ${this.dir}: ${why}`, this.dir);
  }
}

/** Read and verify every record; build the in-memory mirror. */
async function load(db: DB, dir: string, ident: StorageIdent, create: boolean): Promise<Loaded> {
  const metaValue = await db.get(K_META);
  if (metaValue === undefined) {
    const any = await db.keys({ limit: 1 }).all();
    if (any.length > 0) throw corrupt(dir, `record ${KEY_META}`, 'the identity record is missing but other records exist');
    if (!create) throw new StorageError('NotFound', `raft data dir ${dir} holds no raft data`, dir);
    await db.put(K_META, encodeMeta({ version: FORMAT_VERSION, ...ident }), { sync: true });
    return { mem: new MemoryStorage(), logStart: { index: 0, term: 0 }, last: 0, snapIndex: 0, snapChunks: 0 };
  }
  let meta;
  try {
    meta = decodeMeta(unframe(metaValue));
  } catch (e) {
    throw corrupt(dir, `record ${KEY_META} (identity)`, (e as Error).message, { key: KEY_META });
  }
  if (meta.version !== FORMAT_VERSION) {
    throw new StorageError('UnsupportedVersion', `raft data dir ${dir} has format version ${meta.version}; this tsswarm reads version ${FORMAT_VERSION}`, dir);
  }
  if (meta.clusterId !== ident.clusterId) {
    throw new StorageError(
      'ClusterMismatch',
      `raft data dir ${dir} belongs to cluster ${meta.clusterId}, not ${ident.clusterId}; refusing to use it (remove it, or point --data-dir elsewhere, to join this cluster)`,
      dir,
    );
  }
  if (meta.nodeId !== ident.nodeId) {
    throw new StorageError('NodeMismatch', `raft data dir ${dir} belongs to node ${meta.nodeId} of cluster ${meta.clusterId}, not ${ident.nodeId}`, dir);
  }

  let hardState: HardState | undefined;
  let conf: ConfState | undefined;
  let logStart: LogStart | undefined;
  let snapMeta: SnapMetaRecord | undefined;
  const chunks: Buffer[] = [];
  const entries: Entry[] = [];

  const it = db.iterator({ highWaterMarkBytes: READ_HIGH_WATER_BYTES });
  try {
    while (true) {
      const batch = await it.nextv(READ_BATCH);
      if (batch.length === 0) break;
      for (const [key, value] of batch) {
        const index = parseEntryKey(key);
        if (index >= 0) {
          const where = `record ${keyText(key)} (log index ${index})`;
          let e: Entry;
          try {
            e = decodeEntry(unframe(value));
          } catch (err) {
            throw corrupt(dir, where, (err as Error).message, { key: keyText(key), index });
          }
          if (e.index !== index) throw corrupt(dir, where, `holds the entry of index ${e.index}`, { key: keyText(key), index });
          const prev = entries[entries.length - 1];
          if (prev && index !== prev.index + 1) {
            throw corrupt(dir, `log index ${prev.index + 1}`, `entry missing (entries jump from ${prev.index} to ${index})`, { key: keyText(entryKey(prev.index + 1)), index: prev.index + 1 });
          }
          if (prev && e.term < prev.term) {
            throw corrupt(dir, where, `term ${e.term} is lower than term ${prev.term} of index ${prev.index}`, { key: keyText(key), index });
          }
          entries.push(e);
          continue;
        }
        const k = keyText(key);
        try {
          if (k === KEY_META) continue;
          else if (k === KEY_HARD_STATE) hardState = decodeHardState(unframe(value));
          else if (k === KEY_CONF) conf = decodeConf(unframe(value));
          else if (k === KEY_LOG_START) logStart = decodeLogStart(unframe(value));
          else if (k === KEY_SNAP_META) snapMeta = decodeSnapMeta(unframe(value));
          else if (k.startsWith(SNAP_CHUNK_PREFIX) && k.length === SNAP_CHUNK_PREFIX.length + 8) {
            const n = parseInt(k.slice(SNAP_CHUNK_PREFIX.length), 16);
            if (n !== chunks.length) throw new RecordError(`snapshot data record ${chunks.length} is missing`);
            chunks.push(unframe(value));
          } else {
            throw new RecordError(k.startsWith(ENTRY_PREFIX) ? 'malformed entry key' : 'unknown record');
          }
        } catch (err) {
          if (err instanceof StorageError) throw err;
          throw corrupt(dir, `record ${k}`, (err as Error).message, { key: k });
        }
      }
    }
  } finally {
    await it.close();
  }

  const start = logStart ?? { index: 0, term: 0 };
  const first = entries[0];
  if (first && first.index !== start.index + 1) {
    const missing = start.index + 1;
    throw corrupt(dir, `log index ${missing}`, `entry missing (the log starts after index ${start.index} but the first entry record is ${first.index})`, {
      key: keyText(entryKey(missing)),
      index: missing,
    });
  }
  if (first && first.term < start.term) {
    throw corrupt(dir, `record ${keyText(entryKey(first.index))} (log index ${first.index})`, `term ${first.term} is lower than term ${start.term} of the compacted entry ${start.index}`, {
      key: keyText(entryKey(first.index)),
      index: first.index,
    });
  }
  const last = entries.length > 0 ? entries[entries.length - 1]!.index : start.index;

  let snapshot: Snapshot | undefined;
  if (snapMeta) {
    const total = chunks.reduce((n, c) => n + c.length, 0);
    if (chunks.length !== snapMeta.chunks || total !== snapMeta.dataLength) {
      throw corrupt(dir, `record ${KEY_SNAP_META} (snapshot at log index ${snapMeta.meta.index})`, `expects ${snapMeta.chunks} data records / ${snapMeta.dataLength} bytes, found ${chunks.length} / ${total}`, {
        key: KEY_SNAP_META,
        index: snapMeta.meta.index,
      });
    }
    snapshot = { meta: snapMeta.meta, data: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total) };
  } else if (chunks.length > 0) {
    throw corrupt(dir, `record ${SNAP_CHUNK_PREFIX}00000000`, 'snapshot data without a snapshot record', { key: `${SNAP_CHUNK_PREFIX}00000000` });
  }
  const snapIndex = snapshot?.meta.index ?? 0;
  if (start.index > snapIndex) {
    throw corrupt(dir, `record ${KEY_LOG_START}`, `the log was compacted to index ${start.index}, past the snapshot at ${snapIndex}`, { key: KEY_LOG_START, index: start.index });
  }
  if (snapshot && snapIndex > start.index) {
    // The snapshot was taken locally and the log not yet compacted to it: it must agree with the log.
    const at = entries[snapIndex - start.index - 1];
    if (!at || at.term !== snapshot.meta.term) {
      throw corrupt(dir, `record ${KEY_SNAP_META} (snapshot at log index ${snapIndex})`, at ? `snapshot term ${snapshot.meta.term} differs from the log's term ${at.term}` : `the log ends at ${last}, before the snapshot`, {
        key: KEY_SNAP_META,
        index: snapIndex,
      });
    }
  } else if (snapshot && snapshot.meta.term !== start.term) {
    throw corrupt(dir, `record ${KEY_LOG_START}`, `log start term ${start.term} differs from the snapshot term ${snapshot.meta.term} at index ${snapIndex}`, { key: KEY_LOG_START, index: snapIndex });
  }
  if (hardState && hardState.commit > last) {
    throw corrupt(dir, `record ${KEY_HARD_STATE}`, `commit index ${hardState.commit} is beyond the last log index ${last}`, { key: KEY_HARD_STATE, index: hardState.commit });
  }

  const mem = new MemoryStorage();
  if (snapshot && snapIndex > start.index) {
    // mem can only hold entries after its snapshot; start it at the compaction point, then record the real snapshot.
    if (start.index > 0) mem.applySnapshot({ meta: { index: start.index, term: start.term, conf: snapshot.meta.conf }, data: new Uint8Array(0) });
    if (entries.length > 0) mem.append(entries);
    mem.createSnapshot(snapIndex, snapshot.meta.conf, snapshot.data);
  } else {
    if (snapshot) mem.applySnapshot(snapshot);
    if (entries.length > 0) mem.append(entries);
  }
  const effectiveConf = conf ?? snapshot?.meta.conf;
  if (effectiveConf) mem.setConf(effectiveConf);
  if (hardState) mem.setHardState(hardState);
  return { mem, logStart: start, last, snapIndex, snapChunks: chunks.length };
}
