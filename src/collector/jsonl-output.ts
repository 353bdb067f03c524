// An output that appends every committed event to a file as one flat JSON object per line.
import { flattenEvent } from '../events/catalogue.js';
import { DecoySecrets } from '../events/mask.js';
import { LineFileOutput } from './line-file-output.js';

export class JsonlOutput extends LineFileOutput {
  constructor(path: string, secrets = new DecoySecrets()) {
    super('jsonl', path, (e) => [flattenEvent(e)], secrets);
  }
}
