// One export as `apiary export` and the dashboard's download make it: the indicators rendered in the
// format asked for, as JSON text in pieces.
import type { Indicators } from './indicators.js';
import { mispJsonChunks, toMispEvent } from './misp.js';
import { stixJsonChunks, toStixBundle, type StixOptions } from './stix.js';

export const EXPORT_FORMATS = ['stix', 'misp'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** The producer named in an export when none is given. */
export function defaultProducer(sensor: string): string {
  return `Apiary honeynet ${sensor}`;
}

/** IND as a STIX 2.1 bundle or a MISP event, in pieces of JSON text. */
export function exportChunks(format: ExportFormat, ind: Indicators, opts: StixOptions): Generator<string> {
  return format === 'stix' ? stixJsonChunks(toStixBundle(ind, opts)) : mispJsonChunks(toMispEvent(ind, opts));
}
