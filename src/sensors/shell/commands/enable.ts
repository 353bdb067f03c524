// enable (bash builtin: lists builtins) and help; Mirai sends `enable` expecting any answer.
import type { CommandDef } from '../types.js';

const BASH_BUILTINS = ['.', ':', '[', 'alias', 'bg', 'bind', 'break', 'builtin', 'caller', 'cd', 'command', 'compgen', 'complete', 'compopt', 'continue', 'declare', 'dirs', 'disown', 'echo', 'enable', 'eval', 'exec', 'exit', 'export', 'false', 'fc', 'fg', 'getopts', 'hash', 'help', 'history', 'jobs', 'kill', 'let', 'local', 'logout', 'mapfile', 'popd', 'printf', 'pushd', 'pwd', 'read', 'readarray', 'readonly', 'return', 'set', 'shift', 'shopt', 'source', 'suspend', 'test', 'times', 'trap', 'true', 'type', 'typeset', 'ulimit', 'umask', 'unalias', 'unset', 'wait'];

export const enable: CommandDef = {
  names: ['enable'],
  run(ctx) {
    if (ctx.args.length === 0) {
      ctx.out(BASH_BUILTINS.map((b) => `enable ${b}\n`).join(''));
      return 0;
    }
    const bad = ctx.args.find((a) => !a.startsWith('-') && !BASH_BUILTINS.includes(a));
    if (bad) {
      ctx.err(`-bash: enable: ${bad}: not a shell builtin\n`);
      return 1;
    }
    return 0;
  },
};

export const help: CommandDef = {
  names: ['help'],
  run(ctx) {
    ctx.out("GNU bash, version 5.2.15(1)-release (x86_64-pc-linux-gnu)\nThese shell commands are defined internally.  Type `help' to see this list.\nType `help name' to find out more about the function `name'.\nUse `info bash' to find out more about the shell in general.\nUse `man -k' or `info' to find out more about commands not in this list.\n\nA star (*) next to a name means that the command is disabled.\n\n");
    return 0;
  },
};
