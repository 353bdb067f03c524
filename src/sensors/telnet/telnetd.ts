// The option negotiation of Debian 12's telnetd (GNU inetutils 2.4, package telnetd/inetutils-telnetd
// 2:2.4-2+deb12u3) as a pure state machine: option and subnegotiation events in, bytes to send out.
// No I/O and no clock: the session decides when to show the host line and start "login".
//
// What telnetd does, in the order it does it (inetutils telnetd/telnetd.c and utility.c, checked
// byte for byte against the real daemon on loopback):
//   1. 'terminal': WILL AUTHENTICATION, WILL ENCRYPT, DO TTYPE, DO TSPEED, DO XDISPLOC,
//      DO NEW-ENVIRON, DO ENVIRON, in one segment; then it waits, with no timeout, until the client
//      has answered ENCRYPT and all five DOs.
//   2. 'subneg': SB SEND for each option the client agreed to (TSPEED, XDISPLOC, NEW-ENVIRON or else
//      ENVIRON, TTYPE, in that order), then waits for each reply, and for an ENVIRON reply whenever
//      the client agreed to ENVIRON even though none was asked for (a client that agrees to both
//      environment options hangs the real daemon here). A terminal type terminfo does not know is
//      asked for once more.
//   3. 'options': WILL SGA, DO ECHO, DO LINEMODE, DO NAWS, WILL STATUS, DO LFLOW (each unless
//      already agreed), then waits for the NAWS answer.
//   4. 'ready': the session sends burst() (LFLOW, ECHO, TM and BINARY settling), the host line,
//      and starts login.
// Options answer as RFC 854's rules with the BSD telnetd bookkeeping (a state, a wanted state and a
// count of answers owed per side and option), so loops, refusals and repeats answer as telnetd does.

import { DO, DONT, IAC, OPT, SB, SE, WILL, WONT, encodeSub, type TelnetEvent } from './codec.js';

/** Telnet commands outside negotiation (RFC 854). */
export const CMD = { DM: 242, BRK: 243, IP: 244, AO: 245, AYT: 246, EC: 247, EL: 248 } as const;

/** Longest terminal type kept (telnetd's buffer is larger; no terminfo name comes near it). */
export const MAX_TERMINAL_TYPE = 64;
/** Terminal-type requests at most (telnetd asks while the client names unknown types; a client cycling forever is cut off here). */
export const MAX_TTYPE_REQUESTS = 16;

/**
 * Terminal types the terminfo of a default Debian 12 install knows (ncurses-base), compared without
 * case as telnetd's lookup does: any other type is asked for a second time.
 */
export const DEBIAN_TERMINFO = new Set([
  'eterm', 'eterm-color', 'ansi', 'cons25', 'cons25-debian', 'cygwin', 'dumb', 'hurd', 'linux', 'mach', 'mach-bold', 'mach-color',
  'mach-gnu', 'mach-gnu-color', 'pcansi', 'rxvt', 'rxvt-basic', 'rxvt-m', 'rxvt-unicode', 'rxvt-unicode-256color', 'screen',
  'screen-256color', 'screen-256color-bce', 'screen-bce', 'screen-s', 'screen-w', 'screen.xterm-256color', 'sun', 'tmux',
  'tmux-256color', 'vt100', 'vt102', 'vt220', 'vt52', 'wsvt25', 'wsvt25m', 'xterm', 'xterm-256color', 'xterm-color',
  'xterm-debian', 'xterm-mono', 'xterm-r5', 'xterm-r6', 'xterm-vt220', 'xterm-xfree86',
]);

export type NegotiationPhase = 'terminal' | 'subneg' | 'options' | 'ready';

/** telnetd's linemode kinds, in its order of preference (telnetd.h). */
const NO_LINEMODE = 0;
const KLUDGE_LINEMODE = 1;
const NO_AUTOKLUDGE = 2;
const KLUDGE_OK = 3;
const REAL_LINEMODE = 4;

/** Options the client may turn on for its side unasked (telnetd's willoption). */
const HIS_ACCEPTED = new Set<number>([OPT.BINARY, OPT.LFLOW, OPT.TTYPE, OPT.SGA, OPT.NAWS, OPT.TSPEED, OPT.XDISPLOC, OPT.NEW_ENVIRON, OPT.ENVIRON, OPT.LINEMODE, OPT.AUTHENTICATION, OPT.ENCRYPT]);
/** Options the client may ask telnetd to turn on (telnetd's dooption). */
const MY_ACCEPTED = new Set<number>([OPT.ECHO, OPT.BINARY, OPT.SGA, OPT.STATUS, OPT.ENCRYPT]);

/** Subnegotiations the phase-2 wait is for; each is satisfied by its reply or by the option being refused. */
type Awaited = 'tspeed' | 'xdisploc' | 'environ' | 'oenviron' | 'ttype';

/** LINEMODE MODE (RFC 1184 2.2): EDIT | TRAPSIG once the pty is set up; before it, telnetd's zeroed termios gives LIT_ECHO. */
const MODE_PTY = 0x03;
const MODE_NO_PTY = 0x10;
/**
 * telnetd's LINEMODE SLC answer (RFC 1184 2.5) for a Debian 12 pty's special characters (^C ^O ^\
 * ^D ^Z DEL ^U ^W ^R ^V ^Q ^S), as it sent it to inetutils' telnet client; the function, flags and
 * value triplets follow the client's own list, which every BSD-derived client sends alike.
 */
const SLC_ANSWER = Buffer.from('fffa220303e20304820f07e21c08820409c21a0a827f0b82150c82170d82120e82160f8211108213fff0', 'hex');
/** LFLOW RESTART-XON (RFC 1372), what a fresh pty's IXANY-off state reports. */
const LFLOW_RESTART_XON = 3;

export class DebianTelnetd {
  private readonly hisState = new Uint8Array(256);
  private readonly hisWant = new Uint8Array(256);
  private readonly myState = new Uint8Array(256);
  private readonly myWant = new Uint8Array(256);
  private readonly doDontResp = new Uint8Array(256);
  private readonly willWontResp = new Uint8Array(256);
  private out: number[] = [];
  private lmodetype = NO_LINEMODE;
  private phaseNow: NegotiationPhase = 'terminal';
  private readonly awaiting = new Set<Awaited>();
  private readonly received = new Set<Awaited>();
  private ttypeRequests = 0;
  private ttypeStep: 'first' | 'loop' | 'final' | 'done' = 'first';
  private firstTtype: string | undefined;
  private lastTtype: string | undefined;
  private ptyUp = false;
  /** Terminal type as telnetd keeps it (lower case), once the client told it. */
  terminalType: string | undefined;
  private clientSlc = false;
  /** The client sent DO LOGOUT: telnetd answered WILL LOGOUT and hangs up. */
  loggedOut = false;

  constructor(private readonly knownTerminal: (name: string) => boolean = (n) => DEBIAN_TERMINFO.has(n)) {}

  get phase(): NegotiationPhase {
    return this.phaseNow;
  }

  /** Whether telnetd echoes what the client types (it said WILL ECHO and the client agreed). */
  get echoing(): boolean {
    return this.myState[OPT.ECHO] === 1;
  }

  /** Whether the client sends binary (no CR NUL / CR LF translation) to telnetd. */
  get clientBinary(): boolean {
    return this.hisState[OPT.BINARY] === 1;
  }

  /** The first bytes telnetd sends, before reading anything. */
  start(): Buffer {
    this.sendWill(OPT.AUTHENTICATION);
    this.sendWill(OPT.ENCRYPT);
    for (const o of [OPT.TTYPE, OPT.TSPEED, OPT.XDISPLOC, OPT.NEW_ENVIRON, OPT.ENVIRON]) this.sendDo(o);
    this.advance();
    return this.flush();
  }

  /**
   * Reacts to one decoded option or subnegotiation; returns the answers to send now. The phases move
   * on only in settle(), which the session calls once per chunk read: telnetd takes in all it has
   * read before it looks at its wait conditions again.
   */
  receive(ev: TelnetEvent): Buffer {
    if (ev.kind === 'option') {
      if (ev.verb === 'will') this.willOption(ev.option);
      else if (ev.verb === 'wont') this.wontOption(ev.option);
      else if (ev.verb === 'do') this.doOption(ev.option);
      else this.dontOption(ev.option);
    } else if (ev.kind === 'sub') this.subOption(ev.option, ev.data);
    return this.flush();
  }

  /** Moves through the phases as far as the answers so far allow; returns what the new phases send. */
  settle(): Buffer {
    this.advance();
    return this.flush();
  }

  /**
   * What telnetd sends once negotiation is over, just before the host line: flow-control state, the
   * ECHO settling (a client that said WILL ECHO is told DONT), WILL ECHO, DO TM to probe for kludge
   * linemode, DO BINARY for the 8-bit pty, and DONT LINEMODE because login's terminal is not in
   * linemode. Call once, when phase is 'ready'.
   */
  burst(): Buffer {
    if (this.hisState[OPT.LFLOW]) this.out.push(...encodeSub(OPT.LFLOW, Buffer.from([LFLOW_RESTART_XON])), 0);
    if (this.hisWant[OPT.ECHO]) this.sendDont(OPT.ECHO);
    if (!this.myState[OPT.ECHO]) this.sendWill(OPT.ECHO);
    if (this.lmodetype < REAL_LINEMODE) this.sendDo(OPT.TM);
    this.sendDo(OPT.BINARY);
    if (this.hisState[OPT.LINEMODE]) this.sendDont(OPT.LINEMODE);
    if (this.clientSlc) this.out.push(...SLC_ANSWER);
    return this.flush();
  }

  /** IAC SB STATUS IS ... IAC SE (RFC 859): every option on, ours as WILL and the client's as DO. */
  status(): Buffer {
    const body: number[] = [0];
    for (let o = 0; o < 256; o++) {
      if (this.myState[o]) body.push(WILL, o);
      if (this.hisState[o]) body.push(DO, o);
    }
    return encodeSub(OPT.STATUS, Buffer.from(body));
  }

  private flush(): Buffer {
    const b = Buffer.from(this.out);
    this.out = [];
    return b;
  }

  private emit(verb: number, option: number): void {
    this.out.push(IAC, verb, option);
  }

  // send_do / send_dont / send_will / send_wont with init: skip what is already on (or asked for).
  private sendDo(o: number): void {
    if ((this.doDontResp[o] === 0 && this.hisState[o]) || this.hisWant[o]) return;
    // TM is sent as DO but kept as wanted-off, so it can be sent again.
    this.hisWant[o] = o === OPT.TM ? 0 : 1;
    this.bump(this.doDontResp, o);
    this.emit(DO, o);
  }

  private sendDont(o: number): void {
    if ((this.doDontResp[o] === 0 && !this.hisState[o]) || !this.hisWant[o]) return;
    this.hisWant[o] = 0;
    this.bump(this.doDontResp, o);
    this.emit(DONT, o);
  }

  private sendWill(o: number): void {
    if ((this.willWontResp[o] === 0 && this.myState[o]) || this.myWant[o]) return;
    this.myWant[o] = 1;
    this.bump(this.willWontResp, o);
    this.emit(WILL, o);
  }

  private sendWont(o: number): void {
    if ((this.willWontResp[o] === 0 && !this.myState[o]) || !this.myWant[o]) return;
    this.myWant[o] = 0;
    this.bump(this.willWontResp, o);
    this.emit(WONT, o);
  }

  /** The answers-owed counters saturate instead of wrapping (telnetd's are chars; a client cannot push them far). */
  private bump(counter: Uint8Array, o: number): void {
    if (counter[o]! < 255) counter[o]!++;
  }

  private payOwed(counter: Uint8Array, o: number, stateOn: boolean): void {
    if (counter[o]) {
      counter[o]!--;
      if (counter[o] && stateOn) counter[o]!--;
    }
  }

  private willOption(o: number): void {
    this.payOwed(this.doDontResp, o, this.hisState[o] === 1);
    if (this.doDontResp[o] === 0) {
      if (!this.hisWant[o]) {
        if (o === OPT.TM) {
          // Never answered and never on: a WILL TM is the client choosing kludge linemode.
          if (this.lmodetype < KLUDGE_LINEMODE) {
            this.lmodetype = KLUDGE_LINEMODE;
            this.sendWont(OPT.SGA);
          } else if (this.lmodetype === NO_AUTOKLUDGE) this.lmodetype = KLUDGE_OK;
          return;
        }
        if (HIS_ACCEPTED.has(o)) {
          this.hisWant[o] = 1;
          this.emit(DO, o);
          if (o === OPT.LINEMODE) this.startLinemode();
        } else {
          this.bump(this.doDontResp, o);
          this.emit(DONT, o);
        }
      } else if (o === OPT.LINEMODE) this.startLinemode();
      // A WILL ECHO answer is turned down in burst(), where telnetd's output puts it.
    }
    this.hisState[o] = 1;
  }

  private startLinemode(): void {
    this.lmodetype = REAL_LINEMODE;
    this.out.push(...encodeSub(OPT.LINEMODE, Buffer.from([1, this.ptyUp ? MODE_PTY : MODE_NO_PTY])), 0);
  }

  private wontOption(o: number): void {
    this.payOwed(this.doDontResp, o, this.hisState[o] === 0);
    if (this.doDontResp[o] === 0) {
      if (this.hisWant[o]) {
        this.refused(o);
        this.hisWant[o] = 0;
        if (this.hisState[o]) this.emit(DONT, o);
      } else if (o === OPT.TM && this.lmodetype < NO_AUTOKLUDGE) {
        // WONT TM: no kludge linemode, so character mode with telnetd echoing.
        this.lmodetype = NO_LINEMODE;
        this.sendWill(OPT.SGA);
        this.sendWill(OPT.ECHO);
      }
    }
    this.hisState[o] = 0;
  }

  /** A refused option counts as the reply its subnegotiation wait was for. */
  private refused(o: number): void {
    const w = awaitedFor(o);
    if (w) this.received.add(w);
  }

  private doOption(o: number): void {
    this.payOwed(this.willWontResp, o, this.myState[o] === 1);
    if (this.willWontResp[o] === 0 && !this.myWant[o]) {
      if (o === OPT.LOGOUT) {
        this.myWant[o] = 1;
        this.emit(WILL, o);
        this.myState[o] = 1;
        this.loggedOut = true;
        return;
      }
      if (o === OPT.TM) {
        // Answered every time, never turned on.
        this.emit(WILL, o);
        this.myWant[o] = 0;
        this.myState[o] = 0;
        return;
      }
      if (MY_ACCEPTED.has(o)) {
        this.myWant[o] = 1;
        this.emit(WILL, o);
      } else {
        this.bump(this.willWontResp, o);
        this.emit(WONT, o);
      }
    }
    this.myState[o] = 1;
  }

  private dontOption(o: number): void {
    this.payOwed(this.willWontResp, o, this.myState[o] === 0);
    if (this.willWontResp[o] === 0 && this.myWant[o]) {
      this.myWant[o] = 0;
      if (this.myState[o]) this.emit(WONT, o);
    }
    this.myState[o] = 0;
  }

  private subOption(o: number, data: Buffer): void {
    if (o === OPT.STATUS) {
      if (this.myState[o] && data[0] === 1) this.out.push(...this.status());
      return;
    }
    // telnetd reads a subnegotiation only for an option the client has on.
    if (!this.hisState[o]) return;
    if (o === OPT.TTYPE) {
      if (data[0] !== 0) return;
      const name = data.subarray(1, 1 + MAX_TERMINAL_TYPE).toString('latin1').toLowerCase();
      this.terminalType = name;
      this.received.add('ttype');
    } else if (o === OPT.LINEMODE && data[0] === 3) this.clientSlc = true;
    else if (o === OPT.TSPEED) this.received.add('tspeed');
    else if (o === OPT.XDISPLOC) this.received.add('xdisploc');
    else if (o === OPT.NEW_ENVIRON) this.received.add('environ');
    else if (o === OPT.ENVIRON) this.received.add('oenviron');
  }

  private changing(o: number): boolean {
    return this.hisState[o] !== this.hisWant[o];
  }

  /** Moves through the phases as far as the answers so far allow, queueing what each phase sends. */
  private advance(): void {
    for (;;) {
      if (this.phaseNow === 'terminal') {
        if (this.myState[OPT.ENCRYPT] !== this.myWant[OPT.ENCRYPT]) return;
        if ([OPT.TTYPE, OPT.TSPEED, OPT.XDISPLOC, OPT.NEW_ENVIRON, OPT.ENVIRON].some((o) => this.changing(o))) return;
        this.phaseNow = 'subneg';
        // What arrived before now still counts (telnetd's clocks start with phase 1).
        if (this.hisState[OPT.TSPEED]) this.sendSubRequest(OPT.TSPEED, 'tspeed');
        if (this.hisState[OPT.XDISPLOC]) this.sendSubRequest(OPT.XDISPLOC, 'xdisploc');
        if (this.hisState[OPT.NEW_ENVIRON]) this.sendSubRequest(OPT.NEW_ENVIRON, 'environ');
        else if (this.hisState[OPT.ENVIRON]) this.sendSubRequest(OPT.ENVIRON, 'oenviron');
        if (this.hisState[OPT.ENVIRON]) this.awaiting.add('oenviron');
        if (this.hisState[OPT.TTYPE]) {
          this.sendSubRequest(OPT.TTYPE, 'ttype');
          this.ttypeRequests = 1;
        }
        continue;
      }
      if (this.phaseNow === 'subneg') {
        for (const w of this.awaiting) if (!this.received.has(w)) return;
        if (!this.ttypeDone()) return;
        this.phaseNow = 'options';
        this.ptyUp = true;
        if (!this.myState[OPT.SGA]) this.sendWill(OPT.SGA);
        this.sendDo(OPT.ECHO);
        if (!this.hisState[OPT.LINEMODE]) this.sendDo(OPT.LINEMODE);
        this.sendDo(OPT.NAWS);
        this.sendWill(OPT.STATUS);
        this.sendDo(OPT.LFLOW);
        continue;
      }
      if (this.phaseNow === 'options') {
        if (this.changing(OPT.NAWS)) return;
        if (this.hisWant[OPT.ECHO] && this.hisState[OPT.NAWS] && this.changing(OPT.ECHO)) return;
        this.phaseNow = 'ready';
      }
      return;
    }
  }

  private sendSubRequest(o: number, w: Awaited): void {
    this.out.push(IAC, SB, o, 1, IAC, SE);
    this.awaiting.add(w);
    this.received.delete(w);
  }

  /**
   * The terminal-type exchange is over: no TTYPE, a known type, or the client's list has run out
   * (telnetd's getterminaltype: an unknown name is asked for again until a known one comes, or the
   * same name twice; then once more so an RFC 1091 client cycles back, keeping the first name).
   */
  private ttypeDone(): boolean {
    if (!this.awaiting.has('ttype') || this.ttypeStep === 'done') return true;
    if (!this.received.has('ttype')) return false;
    const t = this.terminalType ?? '';
    const known = this.terminalType === undefined || this.knownTerminal(t);
    if (this.ttypeStep === 'final' || (!this.hisState[OPT.TTYPE] && this.ttypeStep !== 'first')) {
      if (this.firstTtype !== undefined) this.terminalType = this.firstTtype;
      this.ttypeStep = 'done';
      return true;
    }
    if (!this.hisState[OPT.TTYPE] || known || this.ttypeRequests >= MAX_TTYPE_REQUESTS) {
      this.ttypeStep = 'done';
      return true;
    }
    if (this.ttypeStep === 'first') this.firstTtype = t;
    else if (t === this.lastTtype) {
      if (t === this.firstTtype) {
        this.ttypeStep = 'done';
        return true;
      }
      this.ttypeStep = 'final';
    }
    if (this.ttypeStep !== 'final') this.ttypeStep = 'loop';
    this.lastTtype = t;
    this.ttypeRequests++;
    this.sendSubRequest(OPT.TTYPE, 'ttype');
    return false;
  }
}

function awaitedFor(o: number): Awaited | undefined {
  if (o === OPT.TTYPE) return 'ttype';
  if (o === OPT.TSPEED) return 'tspeed';
  if (o === OPT.XDISPLOC) return 'xdisploc';
  if (o === OPT.NEW_ENVIRON) return 'environ';
  if (o === OPT.ENVIRON) return 'oenviron';
  return undefined;
}
