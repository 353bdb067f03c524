// Gzip bodies from sensors, inflated with every chunk of output charged to a budget as it is made: a
// reservation made before the body is read cannot know how far a body inflates (gzip reaches about
// 1000:1), so the budget is checked as the bytes appear and the inflation stops the moment it is spent.
import { createGunzip } from 'node:zlib';

/** Why an inflation stopped: the body is not gzip or inflates past MAX ('invalid'), or CHARGE refused a chunk ('budget'). */
export class InflateStopped extends Error {
  constructor(readonly reason: 'invalid' | 'budget', message: string) {
    super(message);
  }
}

/**
 * BODY inflated, at most MAX bytes; CHARGE is called with each chunk's size before it is kept and
 * returns false to stop (the promise then rejects with reason 'budget'). The chunks and the joined
 * result both live until it resolves: about twice what was charged, at most.
 */
export function inflateCharged(body: Buffer, max: number, charge: (bytes: number) => boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const z = createGunzip();
    const out: Buffer[] = [];
    let size = 0;
    let stopped = false;
    const stop = (err: InflateStopped): void => {
      if (stopped) return;
      stopped = true;
      z.destroy();
      reject(err);
    };
    z.on('data', (chunk: Buffer) => {
      if (stopped) return;
      size += chunk.length;
      if (size > max) return stop(new InflateStopped('invalid', `body inflates beyond ${max} bytes`));
      if (!charge(chunk.length)) return stop(new InflateStopped('budget', 'the collector holds as much as it may at once'));
      out.push(chunk);
    });
    z.on('error', () => stop(new InflateStopped('invalid', 'body is not valid gzip')));
    z.on('end', () => {
      if (!stopped) resolve(Buffer.concat(out, size));
    });
    z.end(body);
  });
}

/** Calls FN with each non-empty line of TEXT (split at \n), without making an array of them all. */
export function forEachLine(text: string, fn: (line: string) => void): void {
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (end > start) fn(text.slice(start, end));
    start = end + 1;
  }
}
