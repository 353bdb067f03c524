// A scripted FTP control conversation over a raw socket on 127.0.0.1, written down line by line for
// exact comparison: what was sent, every reply line, the data connection's lines, and whether the
// server closed. Only the parts that change from run to run are masked: passive ports and the time
// of day in listings of files made during the run.
import net from 'node:net';

export interface StepOptions {
  /** The bytes sent (latin1); CR LF is added unless they end in LF already or RAW is set. */
  send: string;
  raw?: boolean;
  /** Replies expected (default 1; 0 waits QUIET_MS and expects silence). A 1xx reply is followed by one more. */
  replies?: number;
  /** Wait for the server to close the connection after the replies. */
  close?: boolean;
  /** Longest wait for the replies (default 5 s). */
  timeoutMs?: number;
  /** Sent on the open data connection, which is then ended (STOR, APPE, STOU). */
  upload?: string;
}
export type Step = string | StepOptions;

/** How long a step that expects no reply listens for one. */
const QUIET_MS = 400;

/** Masks what varies between runs of the same dialogue. */
export function mask(line: string): string {
  return line
    .replace(/\(\|\|\|\d+\|\)/, '(|||port|)')
    .replace(/\((\d+,\d+,\d+,\d+),\d+,\d+\)/, '($1,port)')
    .replace(/ [A-Z][a-z]{2} \d{2} \d{2}:\d{2} /, ' Mmm dd hh:mm ');
}

/** How a sent line is written down: as text when it is one printable line ending in CR LF, else quoted (long ones cut, with their length). */
function shown(bytes: string): string {
  const text = bytes.slice(0, -2);
  if (bytes.endsWith('\r\n') && /^[\x20-\x7e]*$/.test(text) && text.length <= 80) return text;
  return bytes.length > 80 ? `${JSON.stringify(bytes.slice(0, 40))}... (${bytes.length} bytes)` : JSON.stringify(bytes);
}

interface Data {
  socket: net.Socket;
  text: string;
  closed: Promise<void>;
}

/**
 * Connects to 127.0.0.1:PORT, reads the greeting, runs STEPS and returns the transcript: "> sent",
 * "< reply line", "= data line", "< (nothing)", "* closed". After a 227 or 229 reply the data
 * connection is made at once (from DATA_FROM if given, a local address); its lines are written down
 * when a transfer ends (a 226 or 4xx reply).
 */
export async function dialogue(port: number, steps: Step[], opts: { dataFrom?: string } = {}): Promise<string[]> {
  const out: string[] = [];
  const s = net.connect(port, '127.0.0.1');
  s.setEncoding('latin1');
  let buf = '';
  let closed = false;
  let wake: (() => void) | undefined;
  s.on('data', (d: string) => {
    buf += d;
    wake?.();
  });
  s.on('error', () => undefined);
  s.on('close', () => {
    closed = true;
    wake?.();
  });
  const changed = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(() => {
        wake = undefined;
        resolve();
      }, ms);
      wake = () => {
        clearTimeout(t);
        wake = undefined;
        resolve();
      };
    });
  /** Takes N complete replies off the buffer (a 1xx counting as part of the next), or fails after TIMEOUT. */
  const replies = async (n: number, timeoutMs: number): Promise<string[]> => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const lines: string[] = [];
      let done = 0;
      let multi: string | undefined;
      let used = 0;
      let pos = 0;
      for (;;) {
        const eol = buf.indexOf('\r\n', pos);
        if (eol < 0) break;
        const line = buf.slice(pos, eol);
        pos = eol + 2;
        lines.push(line);
        if (multi !== undefined) {
          if (line.startsWith(`${multi} `)) multi = undefined;
          else continue;
        } else if (/^\d{3}-/.test(line)) {
          multi = line.slice(0, 3);
          continue;
        } else if (!/^\d{3} /.test(line)) continue;
        if (!line.startsWith('1')) done++;
        if (done === n) {
          used = pos;
          break;
        }
      }
      if (done === n) {
        buf = buf.slice(used);
        return lines.slice(0, lines.length);
      }
      if (closed || Date.now() >= end) throw new Error(`wanted ${n} replies, have ${JSON.stringify(buf)}${closed ? ' and the connection closed' : ''}\n${out.join('\n')}`);
      await changed(Math.max(1, end - Date.now()));
    }
  };
  let data: Data | undefined;
  const openData = (reply: string): void => {
    const m = /\|\|\|(\d+)\|/.exec(reply) ?? /\(\d+,\d+,\d+,\d+,(\d+),(\d+)\)/.exec(reply);
    if (!m) return;
    const dport = m[2] === undefined ? Number(m[1]) : Number(m[1]) * 256 + Number(m[2]);
    const socket = net.connect({ port: dport, host: '127.0.0.1', ...(opts.dataFrom ? { localAddress: opts.dataFrom } : {}) });
    socket.setEncoding('latin1');
    const d: Data = { socket, text: '', closed: new Promise((r) => socket.once('close', () => r())) };
    socket.on('data', (x: string) => (d.text += x));
    socket.on('error', () => undefined);
    data = d;
  };
  const flushData = async (): Promise<void> => {
    const d = data;
    if (!d) return;
    data = undefined;
    await Promise.race([d.closed, new Promise((r) => setTimeout(r, 2000))]);
    d.socket.destroy();
    if (d.text === '') return;
    const parts = d.text.split('\r\n');
    const last = parts.pop()!;
    for (const p of parts) out.push(`= ${mask(p)}`);
    if (last !== '') out.push(`= ${JSON.stringify(last)} (no CR LF)`);
  };
  for (const line of await replies(1, 5000)) out.push(`< ${line}`);
  for (const step of steps) {
    const st = typeof step === 'string' ? { send: step } : step;
    const bytes = st.raw || st.send.endsWith('\n') ? st.send : `${st.send}\r\n`;
    out.push(`> ${shown(bytes)}`);
    if (closed) {
      out.push('* closed before it was sent');
      break;
    }
    s.write(Buffer.from(bytes, 'latin1'));
    if (st.upload !== undefined) data?.socket.end(st.upload);
    const n = st.replies ?? 1;
    if (n === 0) {
      await new Promise((r) => setTimeout(r, QUIET_MS));
      out.push(buf === '' ? '< (nothing)' : `< unexpected ${JSON.stringify(buf)}`);
      buf = '';
    } else {
      const got = await replies(n, st.timeoutMs ?? 5000);
      for (const l of got) out.push(`< ${mask(l)}`);
      const last = got[got.length - 1] ?? '';
      if (/^22[79] /.test(last)) openData(last);
      else if (/^(226|4\d\d) /.test(last)) await flushData();
    }
    if (st.close) {
      const end = Date.now() + (st.timeoutMs ?? 5000);
      while (!closed && Date.now() < end) await changed(end - Date.now());
      if (buf !== '') out.push(`< unexpected ${JSON.stringify(buf)}`);
    }
    if (closed) {
      out.push('* closed');
      break;
    }
  }
  data?.socket.destroy();
  s.destroy();
  return out;
}
