// Run in a worker by the fetch test (callWithin): the per-source fetch rate over many sources.
import { DEFAULT_FETCH_POLICY, Fetcher } from '../../src/sensors/runtime/fetch.js';

/**
 * Takes a fetch slot for SOURCES distinct IPv4 sources, one each, with one fetch a minute allowed per
 * source; returns how many ran and whether the first source and the last were refused a second one.
 */
export async function fetchFromManySources(sources: number): Promise<{ ran: number; firstAgain: boolean; lastAgain: boolean }> {
  const f = new Fetcher({ ...DEFAULT_FETCH_POLICY, enabled: true, perSourcePerMinute: 1 });
  const ip = (i: number): string => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  const work = (): Promise<number> => Promise.resolve(1);
  let ran = 0;
  for (let i = 0; i < sources; i++) if ((await f.bounded(ip(i), work)).ran) ran++;
  const firstAgain = (await f.bounded(ip(0), work)).ran;
  const lastAgain = (await f.bounded(ip(sources - 1), work)).ran;
  return { ran, firstAgain, lastAgain };
}
