// Small byte strings are carved out of shared slabs, as Node's Buffer pool does: allocating
// one ArrayBuffer per small value costs more than the rest of encoding or applying a command
// together. The price: one live value keeps its whole slab (SLAB_BYTES) reachable.

const SLAB_BYTES = 16 * 1024;
/** Larger values get their own buffer. */
const POOLED_MAX = 1024;

let slab = new Uint8Array(SLAB_BYTES);
let used = 0;

/** A fresh region of `n` bytes for the caller to fill. */
export function allocBytes(n: number): Uint8Array {
  if (n > POOLED_MAX) return new Uint8Array(n);
  if (used + n > SLAB_BYTES) {
    slab = new Uint8Array(SLAB_BYTES);
    used = 0;
  }
  const out = slab.subarray(used, used + n);
  // 8-byte aligned, so a consumer may lay a wider typed array or DataView over a value.
  used += (n + 7) & ~7;
  return out;
}

/** A private copy of `src`, so the result never pins the (possibly large) buffer behind it. */
export function copyBytes(src: Uint8Array): Uint8Array {
  const out = allocBytes(src.length);
  out.set(src);
  return out;
}
