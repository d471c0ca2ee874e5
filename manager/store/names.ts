// Unique names compare case-insensitively, as swarmkit's name index does. Only ASCII letters
// fold: full Unicode case mapping can change between Node versions, and two managers on
// different versions must still agree on which names collide.

export function nameKey(name: string): string {
  return name.replace(/[A-Z]+/g, (s) => s.toLowerCase());
}
