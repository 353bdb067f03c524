// An output that appends each committed event to a file as zero or more JSON lines (the shape given),
// decoy secrets masked as in every copy of the events that leaves Apiary.
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import type { ApiaryEvent } from '../events/catalogue.js';
import { DecoySecrets } from '../events/mask.js';
import type { EventOutput } from './collector.js';

export class LineFileOutput implements EventOutput {
  private readonly stream: WriteStream;

  constructor(
    readonly name: string,
    path: string,
    private readonly toRecords: (e: ApiaryEvent) => readonly unknown[],
    private readonly secrets: DecoySecrets,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.stream = createWriteStream(path, { flags: 'a' });
    this.stream.on('error', () => {
      /* reported on close; the store keeps the events regardless */
    });
  }

  write(events: readonly ApiaryEvent[]): void {
    this.secrets.learn(events);
    let text = '';
    for (const e of events) for (const r of this.toRecords(this.secrets.mask(e))) text += `${JSON.stringify(r)}\n`;
    if (text) this.stream.write(text);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.stream.end(() => resolve()));
  }
}
