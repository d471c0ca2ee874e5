import { TsswarmError } from '../shared/errors.js';
import type { Members } from './raft/framing.js';

/** Parses `id=host:port,id=host:port`. */
export function parseMembers(s: string): Members {
  const out: Members = {};
  for (const part of s.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0 || eq === part.length - 1) throw new TsswarmError('Invalid', `bad member "${part}": want id=host:port`);
    const id = part.slice(0, eq);
    const addr = part.slice(eq + 1);
    if (!/^[^:]+:\d{1,5}$/.test(addr)) throw new TsswarmError('Invalid', `bad address "${addr}" for member ${id}: want host:port`);
    if (out[id]) throw new TsswarmError('Invalid', `member ${id} listed twice`);
    out[id] = addr;
  }
  return out;
}
