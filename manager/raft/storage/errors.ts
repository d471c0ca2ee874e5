// Why a Raft data dir could not be used. Every message names the data dir, and the
// record key / log index where that applies, so an operator knows what to look at.

export type StorageErrorCode =
  /** A record fails its checksum, is cut short, cannot be decoded, or the records disagree (gap, term going backwards, commit past the log). */
  | 'Corrupt'
  /** The data dir belongs to another cluster. */
  | 'ClusterMismatch'
  /** The data dir belongs to another member of this cluster. */
  | 'NodeMismatch'
  /** No Raft data in the dir and `create` was false. */
  | 'NotFound'
  /** Written by a newer (or unknown) version of tsswarm. */
  | 'UnsupportedVersion'
  /** Another process (or another DiskStorage here) holds the dir open. */
  | 'Locked'
  /** The caller asked for something the log cannot do (a gap in appended entries, compacting past the snapshot...). */
  | 'InvalidArgument'
  /** A write failed earlier (or the store was closed); nothing on disk can be promised any more. */
  | 'Unavailable';

export class StorageError extends Error {
  constructor(
    readonly code: StorageErrorCode,
    message: string,
    /** The LevelDB directory the error is about. */
    readonly dir: string,
    readonly detail: { key?: string; index?: number; cause?: unknown } = {},
  ) {
    super(message, detail.cause === undefined ? undefined : { cause: detail.cause });
    this.name = 'StorageError';
  }
}
