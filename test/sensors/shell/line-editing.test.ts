// The prompt's line editing as readline does it at a terminal: the cursor moves (arrows, Home, End,
// Ctrl-A/E/B/F), text goes in at the cursor, and Backspace, Delete, Ctrl-U, Ctrl-K and Ctrl-W cut
// around it, each echoed as readline redraws the line; the line runs as edited.
import test from 'node:test';
import assert from 'node:assert/strict';
import { testShell } from '../../helpers/shell.js';

const LEFT = '\x1b[D';
const RIGHT = '\x1b[C';

async function shell(): Promise<ReturnType<ReturnType<typeof testShell>['open']>> {
  const s = testShell().open('203.0.113.9', { pty: true });
  s.login();
  return s;
}

/** What the command line printed: the text between the echoed newline and the next prompt. */
function output(echo: Buffer): string {
  const t = echo.toString();
  return t.slice(t.indexOf('\r\n') + 2, t.lastIndexOf('\r\n'));
}

test('typing after Left goes in at the cursor, and the rest of the line is redrawn after it', async () => {
  const s = await shell();
  await s.type('echo wrld');
  assert.equal((await s.type(`${LEFT}${LEFT}${LEFT}`)).toString(), '\b\b\b');
  assert.equal((await s.type('o')).toString(), 'orld\b\b\b');
  assert.equal((await s.type(`${RIGHT}`)).toString(), 'r');
  assert.equal(output(await s.type('\r')), 'world');
  await s.end();
});

test('Home, End, Ctrl-A and Ctrl-E move to the ends; Delete and Ctrl-D take the character under the cursor', async () => {
  const s = await shell();
  await s.type('cho hi');
  assert.equal((await s.type('\x01')).toString(), '\b'.repeat(6));
  await s.type('e');
  await s.type('\x05!');
  assert.equal(output(await s.type('\r')), 'hi!');
  await s.type('echo abXc');
  await s.type(`${LEFT}${LEFT}`);
  assert.equal((await s.type('\x1b[3~')).toString(), 'c \b\b');
  await s.type('\x1b[H');
  await s.type('\x04');
  await s.type('e\x1b[F d');
  assert.equal(output(await s.type('\r')), 'abc d');
  await s.end();
});

test('Backspace, Ctrl-U, Ctrl-K and Ctrl-W cut around the cursor', async () => {
  const s = await shell();
  await s.type('echo one two three');
  assert.equal((await s.type('\x17')).toString(), '\b\b\b\b\b     \b\b\b\b\b', 'Ctrl-W: the word before the cursor');
  await s.type(`${LEFT}${LEFT}${LEFT}${LEFT}`);
  await s.type('\x0b');
  await s.type('X');
  assert.equal(output(await s.type('\r')), 'one X');
  await s.type('junk echo kept');
  await s.type(`${LEFT}${LEFT}${LEFT}${LEFT}${LEFT}${LEFT}${LEFT}${LEFT}${LEFT}`);
  await s.type('\x15');
  assert.equal(output(await s.type('\r')), 'kept', 'Ctrl-U: from the start to the cursor');
  await s.type('echo ab');
  await s.type(LEFT);
  await s.type('\x7f');
  assert.equal(output(await s.type('\r')), 'b', 'Backspace: the character before the cursor');
  await s.end();
});

test('the cursor moves over a whole UTF-8 character, and a recalled line replaces the one edited', async () => {
  const s = await shell();
  await s.type('echo é');
  assert.equal((await s.type(LEFT)).toString(), '\b');
  await s.type('x');
  assert.equal(output(await s.type('\r')), 'xé');
  await s.type('echo a much longer line');
  assert.equal((await s.type('\x1b[A')).toString(), `${'\b'.repeat(23)}echo xé${' '.repeat(16)}${'\b'.repeat(16)}`);
  assert.equal(output(await s.type('\r')), 'xé');
  await s.end();
});
