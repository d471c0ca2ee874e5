// Defaults shared by the CLI and the tests, so that a test's seed and the
// CLI's replay of it are the same run.

/** Events in the active phase of one seed; tuned so 600 seeds fit the CI budget on two cores. */
export const DEFAULT_STEPS = 50_000;

export type NodesOption = 3 | 5 | 'mixed';

/** `mixed` alternates: odd seeds get 3 voters, even seeds 5. */
export function nodesForSeed(seed: number, nodes: NodesOption): number {
  if (nodes !== 'mixed') return nodes;
  return seed % 2 === 1 ? 3 : 5;
}
