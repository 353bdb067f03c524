// The login policy shared by every service with logins: ordered rules, first match wins, default deny.
import type { AuthRuleConfig } from '../../config/schema.js';

/** Attacker-supplied names and passwords longer than this are never allowed and matched only by length. */
export const MAX_CREDENTIAL_CHARS = 1024;

type Matcher = (s: string) => boolean;

interface CompiledRule {
  user: Matcher;
  password: Matcher;
  allow: boolean;
}

export interface AuthPolicy {
  /** Whether USER with PASSWORD gets in. Never throws, whatever the input. */
  allows(user: string, password: string): boolean;
  /** Passwords written literally in allow rules for USER (used to test hashed scrambles such as MySQL's). */
  candidatePasswords(user: string): string[];
  /**
   * Whether an allow rule for USER takes a password it does not write literally ("*", a /regex/, a
   * negation), so that one outside candidatePasswords(USER) may get in. When false, a password that
   * is none of those is refused whatever it is: work spent learning it cannot change the answer.
   */
  acceptsUnlisted(user: string): boolean;
}

function compilePattern(p: string): Matcher {
  if (p.startsWith('!')) {
    const inner = compilePattern(p.slice(1));
    return (s) => !inner(s);
  }
  if (p === '*') return () => true;
  const re = /^\/(.*)\/([a-z]*)$/s.exec(p);
  if (re) {
    const rx = new RegExp(re[1]!, re[2]!.replace(/[gy]/g, ''));
    return (s) => rx.test(s);
  }
  return (s) => s === p;
}

/** Whether pattern P matches only the text it is (not "*", a /regex/ or a negation). */
function isLiteral(p: string): boolean {
  return !p.startsWith('!') && p !== '*' && !/^\/.*\/[a-z]*$/s.test(p);
}

function compileList(p: string | string[]): Matcher {
  if (typeof p === 'string') return compilePattern(p);
  const exact = new Set(p.filter(isLiteral));
  const others = p.filter((x) => !exact.has(x)).map(compilePattern);
  return (s) => exact.has(s) || others.some((m) => m(s));
}

function patterns(p: string | string[]): string[] {
  return typeof p === 'string' ? [p] : p;
}

export function compileAuthPolicy(rules: readonly AuthRuleConfig[]): AuthPolicy {
  const compiled: CompiledRule[] = rules.map((r) => ({ user: compilePattern(r.user), password: compileList(r.password), allow: r.allow }));
  // Each rule's literal passwords, sorted out once: logins ask for them at every attempt.
  const literals = rules.map((r) => patterns(r.password).filter(isLiteral));
  return {
    allows(user, password) {
      if (user.length > MAX_CREDENTIAL_CHARS || password.length > MAX_CREDENTIAL_CHARS) return false;
      if (password.includes('\0') || user.includes('\0')) return false;
      for (const rule of compiled) {
        if (rule.user(user) && rule.password(password)) return rule.allow;
      }
      return false;
    },
    candidatePasswords(user) {
      const out: string[] = [];
      rules.forEach((r, i) => {
        if (r.allow && compiled[i]!.user(user)) out.push(...literals[i]!);
      });
      return out;
    },
    acceptsUnlisted(user) {
      return rules.some((r, i) => r.allow && compiled[i]!.user(user) && !patterns(r.password).every(isLiteral));
    },
  };
}
