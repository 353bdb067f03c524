// Tab completion as bash's readline does it on Debian, for the word at the end of the line: a command
// name in command position (builtins, keywords, aliases, functions and the executables on $PATH), a
// variable name after `$`, else a path (only directories after `cd`). One match is completed with a
// space after it (a slash after a directory); several are completed as far as they agree, and listed
// by the caller on a second Tab. Names are escaped with backslashes as readline quotes them. No I/O:
// the shell's view of its filesystem and names comes in through a CompletionSource.
import { posix } from 'node:path';

/** Matches considered at most (the rest are not listed); bounds the work of one Tab. */
export const MAX_COMPLETION_CANDIDATES = 5000;
/** Above this many matches bash asks "Display all N possibilities? (y or n)" (completion-query-items). */
export const COMPLETION_QUERY_ITEMS = 100;
/** Longest word completed; past it Tab only rings the bell. */
export const MAX_COMPLETION_WORD_CHARS = 4096;

export interface CompletionSource {
  cwd: string;
  home: string;
  /** Names in the directory at ABSOLUTE path, or undefined when it is not one. */
  list(absolute: string): readonly string[] | undefined;
  /** What is at ABSOLUTE (symlinks followed): a directory, an executable file, another file, or nothing. */
  kind(absolute: string): 'dir' | 'exec' | 'file' | undefined;
  /** Builtins, reserved words, aliases and functions. */
  commandWords(): Iterable<string>;
  /** $PATH's value. */
  path(): string;
  /** Names of the shell's variables. */
  variables(): Iterable<string>;
}

export interface Completion {
  /** What to append to the line, escaped as readline does; empty when nothing can be added. */
  insert: string;
  /** Every match as bash lists them (directories with a slash), sorted, when there are several. */
  matches: string[];
}

const NOTHING: Completion = { insert: '', matches: [] };
/** Characters readline puts a backslash before in a completed file name (rl_filename_quote_characters). */
const QUOTE = /[ \t\n\\"'@<>=;|&()#$`?*[!:{]/g;
const SEPARATORS = new Set([' ', '\t', ';', '|', '&', '(', ')', '<', '>', '`']);
const COMMAND_AFTER = new Set(['then', 'do', 'else', 'elif', 'if', 'while', 'until', '!', '{', 'time']);

/** The completion of the last word of LINE (the cursor is at its end). */
export function complete(line: string, src: CompletionSource): Completion {
  const word = lastWord(line);
  if (!word || word.text.length > MAX_COMPLETION_WORD_CHARS) return NOTHING;
  const before = line.slice(0, word.start);
  const commandPos = isCommandPosition(before);
  const text = word.text;
  if (text.startsWith('$') && !text.includes('/')) return variableCompletion(text, src);
  if (commandPos && !text.includes('/')) return commandCompletion(text, src);
  const want = commandPos ? 'command' : commandWordOf(before) === 'cd' ? 'dir' : 'any';
  return pathCompletion(text, src, want);
}

/** The last word of LINE, unescaped, and where it starts; undefined inside an open quote or after a quoted part. */
function lastWord(line: string): { text: string; start: number } | undefined {
  let start = 0;
  let quote: '"' | "'" | undefined;
  let quotedWord = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"') i++;
      continue;
    }
    if (ch === '\\') {
      i++;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      quotedWord = true;
    } else if (SEPARATORS.has(ch)) {
      start = i + 1;
      quotedWord = false;
    }
  }
  if (quote || quotedWord) return undefined;
  return { text: line.slice(start).replace(/\\(.)/gs, '$1'), start };
}

function isCommandPosition(before: string): boolean {
  const t = before.trimEnd();
  if (t === '' || /[;|&(`]$/.test(t) || t.endsWith('$(')) return true;
  const last = /(?:^|\s)(\S+)$/.exec(t)?.[1];
  return last !== undefined && COMMAND_AFTER.has(last) && commandWordOf(t.slice(0, t.length - last.length)) === undefined;
}

/** The first word of the command that BEFORE's last word belongs to (undefined when there is none). */
function commandWordOf(before: string): string | undefined {
  const segment = before.split(/[;|&(`]/).pop() ?? '';
  return segment.trim().split(/\s+/)[0] || undefined;
}

function commandCompletion(prefix: string, src: CompletionSource): Completion {
  const found = new Set<string>();
  const add = (name: string): boolean => {
    if (name.startsWith(prefix)) found.add(name);
    return found.size < MAX_COMPLETION_CANDIDATES;
  };
  let room = true;
  for (const w of src.commandWords()) if (!(room = add(w))) break;
  for (const dir of src.path().split(':')) {
    if (!room || !dir.startsWith('/')) continue;
    for (const name of src.list(dir) ?? []) {
      if (!name.startsWith(prefix) || found.has(name) || src.kind(`${dir === '/' ? '' : dir}/${name}`) !== 'exec') continue;
      if (!(room = add(name))) break;
    }
  }
  const names = [...found].sort();
  return finish(prefix, names.map((n) => ({ full: n, shown: n, dir: false })));
}

function variableCompletion(text: string, src: CompletionSource): Completion {
  const brace = text.startsWith('${');
  const prefix = text.slice(brace ? 2 : 1);
  const names: string[] = [];
  for (const v of src.variables()) {
    if (v.startsWith(prefix)) names.push(v);
    if (names.length >= MAX_COMPLETION_CANDIDATES) break;
  }
  names.sort();
  const lead = brace ? '${' : '$';
  const c = finish(text, names.map((n) => ({ full: `${lead}${n}`, shown: `${lead}${n}`, dir: false })), false);
  // One match: bash closes the brace it opened.
  if (brace && names.length === 1) return { insert: c.insert.replace(/ $/, '} '), matches: c.matches };
  return c;
}

function pathCompletion(text: string, src: CompletionSource, want: 'command' | 'dir' | 'any'): Completion {
  const slash = text.lastIndexOf('/');
  const dirPart = text.slice(0, slash + 1);
  const base = text.slice(slash + 1);
  const expanded = dirPart === '~/' || dirPart.startsWith('~/') ? src.home + dirPart.slice(1) : dirPart;
  const dir = expanded === '' ? src.cwd : posix.resolve(src.cwd, expanded);
  const names = src.list(dir);
  if (!names) return NOTHING;
  const all = base.startsWith('.') ? ['.', '..', ...names] : names;
  const found: { full: string; shown: string; dir: boolean }[] = [];
  for (const name of all) {
    if (!name.startsWith(base) || (name.startsWith('.') && !base.startsWith('.'))) continue;
    const kind = src.kind(posix.resolve(dir, name));
    if (!kind || (want === 'dir' && kind !== 'dir') || (want === 'command' && kind === 'file')) continue;
    found.push({ full: dirPart + name, shown: kind === 'dir' ? `${name}/` : name, dir: kind === 'dir' });
    if (found.length >= MAX_COMPLETION_CANDIDATES) break;
  }
  found.sort((a, b) => (a.full < b.full ? -1 : a.full > b.full ? 1 : 0));
  return finish(text, found);
}

/** The insert for TYPED given its MATCHES: the rest of a single one, or as far as several agree. */
function finish(typed: string, matches: readonly { full: string; shown: string; dir: boolean }[], escape = true): Completion {
  const q = (s: string): string => (escape ? s.replace(QUOTE, '\\$&') : s);
  if (matches.length === 0) return NOTHING;
  if (matches.length === 1) {
    const m = matches[0]!;
    return { insert: q(m.full.slice(typed.length)) + (m.dir ? '/' : ' '), matches: [] };
  }
  let common = matches[0]!.full;
  for (const m of matches) {
    let i = 0;
    while (i < common.length && i < m.full.length && common[i] === m.full[i]) i++;
    common = common.slice(0, i);
  }
  return { insert: q(common.slice(typed.length)), matches: matches.map((m) => m.shown) };
}
