// The analysis thread (see analysis.ts): opens the store named by the config it is given, folds on
// each nudge from the main thread, and on close folds what is left, saves and closes its store.
import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../config/schema.js';
import { createLogger } from '../log/logger.js';
import { openStore } from '../store/open.js';
import { startAnalysisHere, type FromAnalysis, type ToAnalysis } from './analysis.js';

const port = parentPort!;
const { config } = workerData as { config: Config };
const log = createLogger(config.log.level).child({ thread: 'analysis' });
const store = await openStore(config);
const analysis = startAnalysisHere(config, store, log);

port.on('message', (m: ToAnalysis) => {
  if (m.type === 'nudge') analysis.nudge();
  else if (m.type === 'close') {
    void analysis
      .close()
      .then(() => store.close())
      .catch((err: unknown) => log.error({ err }, 'closing the analysis store failed'))
      .finally(() => {
        log.flush();
        port.postMessage({ type: 'closed' } satisfies FromAnalysis);
      });
  }
});
