// The writer thread of an import into SQLite: owns its own connection to the store and stores the
// batches the importing thread sends (events already turned into columns), one transaction each, in the
// order received. Replies with how many rows were new, or the error's message.
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteStore } from '../../store/sqlite/sqlite-store.js';
import type { WriterReply, WriterRequest } from './sqlite-writer.js';

const port = parentPort;
if (!port) throw new Error('sqlite-writer-worker runs only as a worker thread');
const store = new SqliteStore((workerData as { path: string }).path);

port.on('message', (m: WriterRequest) => {
  if (m.kind === 'close') {
    void store.close().then(() => port.close());
    return;
  }
  store.insertColumns(m.values).then(
    (stored) => port.postMessage({ id: m.id, stored } satisfies WriterReply),
    (err: unknown) => port.postMessage({ id: m.id, error: (err as Error).message ?? String(err) } satisfies WriterReply),
  );
});
