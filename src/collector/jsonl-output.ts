// An output that appends every committed event to a file as one flat JSON object per line.
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { flattenEvent, type ApiaryEvent } from '../events/catalogue.js';
import type { EventOutput } from './collector.js';

export class JsonlOutput implements EventOutput {
  readonly name = 'jsonl';
  private readonly stream: WriteStream;

  constructor(path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.stream = createWriteStream(path, { flags: 'a' });
    this.stream.on('error', () => {
      /* reported on close; the store keeps the events regardless */
    });
  }

  write(events: readonly ApiaryEvent[]): void {
    let text = '';
    for (const e of events) text += `${JSON.stringify(flattenEvent(e))}\n`;
    this.stream.write(text);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.stream.end(() => resolve()));
  }
}
