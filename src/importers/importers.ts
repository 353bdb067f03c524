// The importers by name, for `apiary import FORMAT FILE...`.
import { CowrieRun } from './cowrie/cowrie-importer.js';
import { DionaeaRun } from './dionaea/dionaea-importer.js';
import type { BatchWriter, ImportRun } from './core/import-core.js';
import { TextLogRun, type TextLogOptions } from './kippo/text-log-importer.js';

export const IMPORT_FORMATS = ['cowrie', 'kippo', 'dionaea'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export type RunOptions = TextLogOptions;

export function createImportRun(format: ImportFormat, writer: BatchWriter, opts: RunOptions): ImportRun {
  switch (format) {
    case 'cowrie':
      return new CowrieRun(writer, opts);
    case 'kippo':
      return new TextLogRun('kippo.log', writer, opts);
    case 'dionaea':
      return new DionaeaRun(writer, opts);
  }
}
