// true, false and ":".
import type { CommandDef } from '../types.js';

export const trueCmd: CommandDef = { names: ['true', ':'], run: () => 0 };
export const falseCmd: CommandDef = { names: ['false'], run: () => 1 };
