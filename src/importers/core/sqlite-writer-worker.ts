// The writer thread of an import into SQLite: owns its own connection to the store and stores the
// batches the importing thread sends (events already turned into columns, after the enrichment of
// their new sources), in the order received; the batches that queued while a transaction ran go into
// the next one together. Replies per batch with
// how many rows were new (a group's count on its last batch, 0 on the others: the importer only adds
// them up), or the error's message.
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { SqliteStore } from '../../store/sqlite/sqlite-store.js';
import type { WriterReply, WriterRequest } from './sqlite-writer.js';

const port = parentPort;
if (!port) throw new Error('sqlite-writer-worker runs only as a worker thread');
const store = new SqliteStore((workerData as { path: string }).path);

port.on('message', (first: WriterRequest) => {
  // Batches that queued while the last transaction ran go into one transaction together.
  const group: Extract<WriterRequest, { kind: 'insert' }>[] = [];
  let closing = false;
  for (let m: WriterRequest | undefined = first; m; m = receiveMessageOnPort(port)?.message as WriterRequest | undefined) {
    if (m.kind === 'close') {
      closing = true;
      break;
    }
    group.push(m);
  }
  let work: Promise<void> = Promise.resolve();
  if (group.length > 0) {
    let values = group[0]!.values;
    if (group.length > 1) {
      values = [];
      for (const g of group) for (const v of g.values) values.push(v);
    }
    // The sources' enrichment first, so that an analysis folding these events finds it.
    const enrichment = group.flatMap((g) => g.enrichment);
    work = store
      .upsertEnrichment(enrichment)
      .then(() => store.insertColumns(values))
      .then(
        (stored) => group.forEach((g, i) => port.postMessage({ id: g.id, stored: i === group.length - 1 ? stored : 0 } satisfies WriterReply)),
        (err: unknown) => group.forEach((g) => port.postMessage({ id: g.id, error: (err as Error).message ?? String(err) } satisfies WriterReply)),
      );
  }
  // Closed once the last group is stored (its insert runs after the enrichment's, a turn later).
  if (closing) void work.then(() => store.close()).then(() => port.close());
});
