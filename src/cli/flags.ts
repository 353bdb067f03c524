// Command-line flag parsing with operator-facing errors.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ApiaryError } from '../errors/errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

export function parseFlags<O extends Options>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: true } as const);
  } catch (err) {
    throw new ApiaryError('APIARY_CLI_USAGE', `${(err as Error).message}; run "apiary help"`);
  }
}
