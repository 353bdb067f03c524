// An output that appends every committed event to a file as one flat JSON object per line.
import { flattenEvent } from '../events/catalogue.js';
import { LineFileOutput } from './line-file-output.js';

export class JsonlOutput extends LineFileOutput {
  constructor(path: string) {
    super('jsonl', path, (e) => [flattenEvent(e)]);
  }
}
