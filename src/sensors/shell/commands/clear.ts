// clear and reset: the terminal escape sequences ncurses' clear sends for xterm.
import type { CommandDef } from '../types.js';

export const clear: CommandDef = {
  names: ['clear', 'reset'],
  run(ctx) {
    ctx.out('\x1b[H\x1b[2J\x1b[3J');
    return 0;
  },
};
