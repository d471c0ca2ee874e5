// The store's public surface. Other folders import from here, not from the files behind it.

export * from './objects.js';
export {
  encodeCommand, MAX_COMMAND_BYTES, MAX_TXN_OPS,
  type Command, type CommandHeader, type CreateOp, type DeleteOp, type Op, type UpdateOp,
} from './commands.js';
export { newId, ID_LENGTH } from './ids.js';
export {
  fail, isMarker, NOOP, STALE,
  type Action, type ApplyMarker, type ApplyResult, type Change, type ChangeEvent, type CommandResult,
  type ErrorCode, type Failure, type OpResult, type StoreError, type TxnResult,
} from './results.js';
export { StateMachine, DEFAULT_HISTORY_LIMIT, DEFAULT_REQUEST_LOG_LIMIT, type StateMachineOptions } from './state-machine.js';
export {
  Store,
  type Listing, type Mutator, type RaftProposer, type ReadOptions, type StoreOptions, type StoreWatchOptions,
  type TxnRequest, type UpdateChange,
} from './store.js';
export { CompactedError, type Watch, type WatchCloseReason, type WatchOptions } from './watch-hub.js';
