// What a piece of work leaves held in memory, for tests that guard against state keeping more than it counts.
import v8 from 'node:v8';
import vm from 'node:vm';

// The test runner starts files without --expose-gc; the flag still takes effect for a new context.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Heap and external bytes in use after full collections. */
export function bytesInUse(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

/**
 * Bytes still held after RUN, against before it (each after full collections). What RUN builds and
 * drops is not counted; what it leaves reachable from objects the caller keeps is.
 */
export async function heldBy(run: () => void | Promise<void>): Promise<number> {
  const before = bytesInUse();
  await run();
  return bytesInUse() - before;
}

export const MiB = 1024 * 1024;
