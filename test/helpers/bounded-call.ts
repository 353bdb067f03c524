// Calls one export of a module in a worker thread and gives up after a time limit: how a test shows a
// pure function does not take quadratic time on hostile input without asserting a speed (the limit is
// generous; a quadratic version overruns it by a wide margin, and a blocked main thread could not time out).
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

interface Call {
  boundedCall: true;
  moduleUrl: string;
  name: string;
  args: unknown[];
}

/** Resolves with the export's result (awaited, structured-cloned), or rejects when it runs longer than MS. */
export function callWithin(moduleUrl: string, name: string, args: unknown[], ms: number): Promise<unknown> {
  const call: Call = { boundedCall: true, moduleUrl, name, args };
  const worker = new Worker(new URL(import.meta.url), { workerData: call });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new Error(`${name} still running after ${ms} ms`));
    }, ms);
    worker.once('message', (v: unknown) => {
      clearTimeout(timer);
      void worker.terminate();
      resolve(v);
    });
    worker.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

if (!isMainThread && (workerData as Partial<Call> | null)?.boundedCall) {
  const call = workerData as Call;
  const mod = (await import(call.moduleUrl)) as Record<string, (...a: unknown[]) => unknown>;
  // An async export is awaited: its result, not its promise, is sent back.
  parentPort!.postMessage(await mod[call.name]!(...call.args));
}
