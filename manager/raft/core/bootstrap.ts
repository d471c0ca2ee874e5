// Starting a brand-new cluster. The founding membership must be in the log (or in a
// snapshot), not only in storage's conf: a member that joins later replays the log
// from the start, and would otherwise never learn who the founders are. So the
// founders are written as committed AddVoter entries of term 1, as etcd does; the
// application applies them like any other conf change (applyConfChange is idempotent).

import { ConfChangeType, EntryType } from './types.js';
import type { ConfState, Entry, HardState, NodeId } from './types.js';
import { encodeConfChange } from './confchange.js';

export interface BootstrapState {
  entries: Entry[];
  hardState: HardState;
  conf: ConfState;
}

/** What every founding member persists before its first RawNode starts. */
export function bootstrapState(voters: NodeId[]): BootstrapState {
  if (voters.length === 0) throw new Error('bootstrap: need at least one voter');
  const sorted = [...voters].sort();
  const entries = sorted.map((node, i) => ({
    term: 1,
    index: i + 1,
    type: EntryType.ConfChange,
    data: encodeConfChange({ type: ConfChangeType.AddVoter, node }),
  }));
  return {
    entries,
    hardState: { term: 1, vote: '', commit: entries.length },
    conf: { voters: sorted, learners: [] },
  };
}
