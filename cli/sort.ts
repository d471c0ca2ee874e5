// The order docker's list commands print in: natural order (fvbommel/sortorder), so
// "node-2" comes before "node-10".

const isDigit = (b: number): boolean => b >= 48 && b <= 57;

/**
 * Natural comparison on UTF-8 bytes: runs of digits compare as numbers (a shorter
 * number after leading zeros is smaller; equal numbers with fewer leading zeros come
 * first), digits sort before other bytes, other bytes compare as bytes.
 */
export function naturalCompare(a: string, b: string): number {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  let i = 0;
  let j = 0;
  while (i < x.length && j < y.length) {
    const dx = isDigit(x[i]!);
    const dy = isDigit(y[j]!);
    if (dx !== dy) return dx ? -1 : 1;
    if (!dx) {
      if (x[i] !== y[j]) return x[i]! - y[j]!;
      i++;
      j++;
      continue;
    }
    while (i < x.length && x[i] === 48) i++;
    while (j < y.length && y[j] === 48) j++;
    const si = i;
    const sj = j;
    while (i < x.length && isDigit(x[i]!)) i++;
    while (j < y.length && isDigit(y[j]!)) j++;
    if (i - si !== j - sj) return i - si - (j - sj);
    const cmp = Buffer.compare(x.subarray(si, i), y.subarray(sj, j));
    if (cmp !== 0) return cmp;
    // Same number: fewer leading zeros first (the number started earlier).
    if (si !== sj) return si - sj;
  }
  return x.length - i - (y.length - j) === 0 ? 0 : i >= x.length ? -1 : 1;
}

/** A copy sorted naturally by key, ties broken by a second key so output is stable. */
export function sortNaturally<T>(items: readonly T[], key: (t: T) => string, tie: (t: T) => string): T[] {
  return [...items].sort((p, q) => naturalCompare(key(p), key(q)) || naturalCompare(tie(p), tie(q)));
}
