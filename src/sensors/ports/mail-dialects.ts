// What Debian 12's Postfix smtpd and Dovecot pop3/imap-login answer to a client's first commands, so a
// port listener greeting as one of them answers scanners (nmap -sV, smtp-commands) as the real daemon
// does. Pure: lines in, reply bytes out. Every reply was recorded from Postfix 3.7.11 and Dovecot
// 2.3.19.1 (Debian 12 packages, stock config, client not on the server's own address). Commands they
// would answer with something not recorded here end the dialogue: the listener closes, as it did for
// every command before.

/** Most command lines one connection gets answers to (Postfix answers 20 errors before it gives up). */
export const MAX_MAIL_COMMANDS = 32;
/** Longest command line kept waiting for its end (Postfix's line_length_limit). */
export const MAX_MAIL_LINE_BYTES = 2048;

export type MailProduct = 'postfix' | 'dovecot-pop3' | 'dovecot-imap';

export interface MailDialect {
  product: MailProduct;
  /** Postfix: the host name of the greeting, repeated in EHLO/HELO and the "too many errors" reply. */
  host: string;
  /** Dovecot IMAP: the pre-login capabilities, as the greeting lists them. */
  capabilities: string;
}

/** Debian's Dovecot pre-login capabilities to a client not on the server's own address (plaintext login disabled). */
export const DOVECOT_IMAP_CAPABILITIES = 'IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS LOGINDISABLED';

/** The product a configured banner greets as; undefined for any other banner (no replies, as before). */
export function mailDialect(banner: string): MailDialect | undefined {
  let m = /^220 ([\x21-\x7e]{1,253}) ESMTP Postfix\b/.exec(banner);
  if (m) return { product: 'postfix', host: m[1]!, capabilities: '' };
  if (/^\+OK Dovecot\b/.test(banner)) return { product: 'dovecot-pop3', host: '', capabilities: '' };
  if (/^\* OK .*\bDovecot\b/.test(banner)) {
    m = /^\* OK \[CAPABILITY ([\x20-\x5c\x5e-\x7e]{1,400})\]/.exec(banner);
    return { product: 'dovecot-imap', host: '', capabilities: m ? m[1]! : DOVECOT_IMAP_CAPABILITIES };
  }
  return undefined;
}

export interface MailReply {
  /** Bytes to send; empty when the command is one this table does not answer. */
  reply: string;
  /** Close after sending: the daemon hangs up (QUIT, too many errors) or the dialogue leaves the table. */
  close: boolean;
}

export interface MailSession {
  /** The reply to one command line (without its line end; bytes as the client sent them). */
  handleLine(line: Uint8Array): MailReply;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const isUtf8 = (b: Uint8Array): boolean => {
  try {
    utf8.decode(b);
    return true;
  } catch {
    return false;
  }
};
const text = (b: Uint8Array): string => Buffer.from(b).toString('latin1');
const answer = (reply: string, close = false): MailReply => ({ reply, close });
/** A command the real daemon answers in a way not recorded here: say nothing and close. */
const LEAVE: MailReply = { reply: '', close: true };

/** Postfix smtpd (smtpd.c): hard error limit 20, forbidden commands CONNECT GET POST and /^[^A-Z]/ (case-insensitive). */
const POSTFIX_HARD_ERROR_LIMIT = 20;
const POSTFIX_EHLO = ['PIPELINING', 'SIZE 10240000', 'VRFY', 'ETRN', 'STARTTLS', 'ENHANCEDSTATUSCODES', '8BITMIME', 'DSN', 'SMTPUTF8', 'CHUNKING'];
const POSTFIX_UNEMULATED = new Set(['MAIL', 'RCPT', 'DATA', 'BDAT', 'STARTTLS', 'AUTH', 'VRFY', 'ETRN', 'XCLIENT', 'XFORWARD']);

function postfix(host: string): MailSession {
  let errors = 0;
  const error = (reply: string): MailReply => {
    errors++;
    if (errors >= POSTFIX_HARD_ERROR_LIMIT) return answer(`${reply}421 4.7.0 ${host} Error: too many errors\r\n`, true);
    return answer(reply);
  };
  return {
    handleLine(bytes) {
      if (!isUtf8(bytes)) return error('500 5.5.2 Error: bad UTF-8 syntax\r\n');
      const line = text(bytes).trim();
      if (line === '') return error('500 5.5.2 Error: bad syntax\r\n');
      const [word = '', ...args] = line.split(/\s+/);
      const verb = word.toUpperCase();
      if (!/^[A-Z]/i.test(line) || verb === 'CONNECT' || verb === 'GET' || verb === 'POST') return answer('221 2.7.0 Error: I can break rules, too. Goodbye.\r\n', true);
      if (verb === 'EHLO') return args.length === 0 ? error('501 Syntax: EHLO hostname\r\n') : answer([host, ...POSTFIX_EHLO].map((x, i, all) => `250${i === all.length - 1 ? ' ' : '-'}${x}\r\n`).join(''));
      if (verb === 'HELO') return args.length === 0 ? error('501 Syntax: HELO hostname\r\n') : answer(`250 ${host}\r\n`);
      if (verb === 'QUIT') return answer('221 2.0.0 Bye\r\n', true);
      if (verb === 'NOOP' || (verb === 'RSET' && args.length === 0)) return answer('250 2.0.0 Ok\r\n');
      if (POSTFIX_UNEMULATED.has(verb) || verb === 'RSET') return LEAVE;
      return error('500 5.5.2 Error: command not recognized\r\n');
    },
  };
}

/** Dovecot pop3-login: the fourth unknown command ends the connection. */
const DOVECOT_POP3_BAD_LIMIT = 4;
const DOVECOT_POP3_CAPA = ['CAPA', 'TOP', 'UIDL', 'RESP-CODES', 'PIPELINING', 'AUTH-RESP-CODE', 'STLS', 'SASL'];
const DOVECOT_PLAINTEXT_DISALLOWED = 'Plaintext authentication disallowed on non-secure (SSL/TLS) connections.';

function dovecotPop3(): MailSession {
  let bad = 0;
  return {
    handleLine(bytes) {
      const line = text(bytes);
      const space = line.indexOf(' ');
      const verb = (space < 0 ? line : line.slice(0, space)).toUpperCase();
      const hasArgs = space >= 0 && line.slice(space + 1).trim() !== '';
      if (verb === 'CAPA' && !hasArgs) return answer(`+OK\r\n${DOVECOT_POP3_CAPA.join('\r\n')}\r\n.\r\n`);
      if (verb === 'QUIT') return answer('+OK Logging out\r\n', true);
      if ((verb === 'USER' || verb === 'PASS') && hasArgs) return answer(`-ERR [AUTH] ${DOVECOT_PLAINTEXT_DISALLOWED}\r\n`);
      if (verb === 'AUTH' && !hasArgs) return answer('+OK\r\n.\r\n');
      if (['CAPA', 'USER', 'PASS', 'AUTH', 'STLS', 'APOP', 'XCLIENT'].includes(verb)) return LEAVE;
      bad++;
      return bad >= DOVECOT_POP3_BAD_LIMIT ? answer('-ERR Too many invalid bad commands.\r\n', true) : answer('-ERR Unknown command.\r\n');
    },
  };
}

/** Dovecot imap-login: the third invalid command ends the connection. */
const DOVECOT_IMAP_BAD_LIMIT = 3;
/** An IMAP tag (RFC 3501 9): astring characters except "+". */
const IMAP_TAG = /^[\x21-\x7e]+$/;
const IMAP_NOT_TAG = /[(){%*"\\+]/;

function dovecotImap(capabilities: string): MailSession {
  let bad = 0;
  return {
    handleLine(bytes) {
      const line = text(bytes);
      const [tag = '', command = '', ...args] = line.split(' ');
      const validTag = IMAP_TAG.test(tag) && !IMAP_NOT_TAG.test(tag);
      const verb = command.toUpperCase();
      if (validTag && args.length === 0) {
        if (verb === 'CAPABILITY') return answer(`* CAPABILITY ${capabilities}\r\n${tag} OK Pre-login capabilities listed, post-login capabilities have more.\r\n`);
        if (verb === 'NOOP') return answer(`${tag} OK NOOP completed.\r\n`);
        if (verb === 'LOGOUT') return answer(`* BYE Logging out\r\n${tag} OK Logout completed.\r\n`, true);
      }
      if (validTag && verb === 'ID' && args.length === 1 && args[0]!.toUpperCase() === 'NIL') return answer(`* ID ("name" "Dovecot")\r\n${tag} OK ID completed.\r\n`);
      if (validTag && verb === 'LOGIN' && args.length === 2 && capabilities.includes('LOGINDISABLED')) {
        return answer(
          `* BAD [ALERT] Plaintext authentication not allowed without SSL/TLS, but your client did it anyway. If anyone was listening, the password was exposed.\r\n${tag} NO [PRIVACYREQUIRED] ${DOVECOT_PLAINTEXT_DISALLOWED}\r\n`,
        );
      }
      if (validTag && ['CAPABILITY', 'NOOP', 'LOGOUT', 'ID', 'LOGIN', 'STARTTLS', 'AUTHENTICATE', 'ENABLE'].includes(verb)) return LEAVE;
      bad++;
      if (bad >= DOVECOT_IMAP_BAD_LIMIT) return answer('* BYE Too many invalid IMAP commands.\r\n', true);
      return answer(`${validTag ? tag : '*'} BAD Error in IMAP command received by server.\r\n`);
    },
  };
}

/** A fresh dialogue for one connection. */
export function openMailSession(d: MailDialect): MailSession {
  if (d.product === 'postfix') return postfix(d.host);
  if (d.product === 'dovecot-pop3') return dovecotPop3();
  return dovecotImap(d.capabilities);
}

export type MailInputResult = { replies: string[]; rest: Uint8Array; close: boolean };

/**
 * Answers each complete line of BUF (ended by LF, optional CR before it), in order, until the session
 * closes; at most COMMANDS_LEFT lines. REST is the incomplete tail; a tail longer than
 * MAX_MAIL_LINE_BYTES, or running out of commands, closes.
 */
export function answerLines(session: MailSession, buf: Uint8Array, commandsLeft: number): MailInputResult {
  const replies: string[] = [];
  let at = 0;
  for (;;) {
    const lf = buf.indexOf(0x0a, at);
    if (lf < 0) break;
    if (replies.length >= commandsLeft) return { replies, rest: new Uint8Array(0), close: true };
    const end = lf > at && buf[lf - 1] === 0x0d ? lf - 1 : lf;
    const r = session.handleLine(buf.subarray(at, end));
    at = lf + 1;
    replies.push(r.reply);
    if (r.close) return { replies, rest: new Uint8Array(0), close: true };
  }
  const rest = buf.subarray(at);
  return { replies, rest, close: rest.length > MAX_MAIL_LINE_BYTES || (replies.length >= commandsLeft && rest.length > 0) };
}
