// The reader's side of a scan read ahead (ScanOptions.readAhead): starts the reading thread
// (scan-worker.ts) on the store's file and turns the pages it posts into events, telling it as each is
// taken so that it reads on. The thread is ended when the pages run out, on failure, or by stop().
import { Worker } from 'node:worker_threads';
import type { ApiaryEvent } from '../../events/catalogue.js';
import { parsedRawToEvent } from '../rows.js';
import type { ScanMessage, ScanWork } from './scan-query.js';

let running = 0;

/** Reading threads running now in this process (for tests and diagnostics). */
export function readAheadThreads(): number {
  return running;
}

export interface ReadAhead {
  /** The pages after WORK's cursor, as events (payloads outside its plan's payload types left empty). */
  pages: AsyncIterable<readonly ApiaryEvent[]>;
  /** Ends the thread, whether or not the pages were read. */
  stop(): Promise<void>;
}

/** Starts reading WORK now, so the thread is under way while the caller counts what it already has. */
export function startReadAhead(work: ScanWork): ReadAhead {
  const worker = new Worker(new URL('./scan-worker.js', import.meta.url), { workerData: work });
  running++;
  const inbox: ScanMessage[] = [];
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  worker.on('message', (m: ScanMessage) => {
    inbox.push(m);
    wake?.();
  });
  worker.on('error', (err) => {
    failure ??= new Error(`reading the SQLite store at ${work.path} ahead failed: ${err.message}`);
    wake?.();
  });
  // It waits to be ended once done, so ending by itself is a failure.
  worker.on('exit', (code) => {
    running--;
    failure ??= new Error(`the thread reading the SQLite store at ${work.path} ahead ended (exit code ${code})`);
    wake?.();
  });
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      failure ??= new Error('reading ahead was stopped');
      await worker.terminate();
    })();
    return stopped;
  };
  async function* pages(): AsyncIterable<readonly ApiaryEvent[]> {
    try {
      for (;;) {
        while (inbox.length === 0 && !failure) await new Promise<void>((r) => (wake = r));
        const m = inbox.shift();
        if (!m) throw failure!;
        if ('error' in m) throw new Error(`reading the SQLite store at ${work.path} ahead failed: ${m.error}`);
        if ('done' in m) return;
        worker.postMessage('taken');
        yield (JSON.parse(m.rows) as unknown[][]).map(parsedRawToEvent);
      }
    } finally {
      await stop();
    }
  }
  return { pages: pages(), stop };
}
