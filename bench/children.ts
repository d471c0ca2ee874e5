// The long-running children of a benchmark (servers, monitors, pingers), so that cleanup
// can stop whatever is still running, also after a failure or an interrupt.
import type { ChildProcess } from 'node:child_process';

export const children = new Set<ChildProcess>();

/** SIGTERM, then SIGKILL after 3 s; resolves once the child is gone. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(timer);
  }
  children.delete(child);
}
