// cksum (GNU coreutils 9.1): the POSIX CRC with the byte count by default; -a bsd, sysv and the
// digests in their tagged form ("MD5 (FILE) = ..."), --untagged as md5sum prints them.
import { createHash } from 'node:crypto';
import type { CommandDef } from '../types.js';
import { readInputs } from './util.js';

/** CRC-32 with POSIX's polynomial 0x04C11DB7, most significant bit first. */
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x8000_0000 ? (c << 1) ^ 0x04c1_1db7 : c << 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** POSIX cksum: the CRC of the data followed by its length in as few bytes as hold it (low first), complemented. */
export function posixCrc(data: Buffer): number {
  let crc = 0;
  const step = (b: number): void => {
    crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ b) & 0xff]!) >>> 0;
  };
  for (const b of data) step(b);
  for (let n = data.length; n > 0; n = Math.floor(n / 256)) step(n & 0xff);
  return ~crc >>> 0;
}

function bsdSum(data: Buffer): string {
  let s = 0;
  for (const b of data) s = (((s >> 1) + ((s & 1) << 15)) + b) & 0xffff;
  return `${String(s).padStart(5, '0')} ${String(Math.ceil(data.length / 1024)).padStart(5)}`;
}

function sysvSum(data: Buffer): string {
  let s = 0;
  for (const b of data) s = (s + b) >>> 0;
  const r = (s & 0xffff) + (s >>> 16);
  return `${(r & 0xffff) + (r >>> 16)} ${Math.ceil(data.length / 512)}`;
}

/** Digest algorithms -a takes: node's name and the tag cksum prints. */
const DIGESTS: Record<string, [string, string]> = { md5: ['md5', 'MD5'], sha1: ['sha1', 'SHA1'], sha224: ['sha224', 'SHA224'], sha256: ['sha256', 'SHA256'], sha384: ['sha384', 'SHA384'], sha512: ['sha512', 'SHA512'], blake2b: ['blake2b512', 'BLAKE2b'] };
const ALGORITHMS = ['bsd', 'sysv', 'crc', 'md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512', 'blake2b', 'sm3'];
const TRY = "Try 'cksum --help' for more information.\n";

export const cksum: CommandDef = {
  names: ['cksum'],
  run(ctx) {
    let algo = 'crc';
    let untagged = false;
    const files: string[] = [];
    for (let i = 0; i < ctx.args.length; i++) {
      const a = ctx.args[i]!;
      if (a === '-a' || a === '--algorithm') algo = ctx.args[++i] ?? '';
      else if (a.startsWith('--algorithm=')) algo = a.slice(12);
      else if (a.startsWith('-a') && a.length > 2) algo = a.slice(2);
      else if (a === '--untagged') untagged = true;
      else if (a === '--version') return ctx.out('cksum (GNU coreutils) 9.1\nCopyright (C) 2022 Free Software Foundation, Inc.\nLicense GPLv3+: GNU GPL version 3 or later <https://gnu.org/licenses/gpl.html>.\nThis is free software: you are free to change and redistribute it.\nThere is NO WARRANTY, to the extent permitted by law.\n\nWritten by Padraig Brady and Q. Frank Xia.\n'), 0;
      else if (a.startsWith('--') && a.length > 2) return ctx.err(`cksum: unrecognized option '${a}'\n${TRY}`), 1;
      else if (a.startsWith('-') && a.length > 1) return ctx.err(`cksum: invalid option -- '${a[1]}'\n${TRY}`), 1;
      else files.push(a);
    }
    if (!ALGORITHMS.includes(algo)) {
      ctx.err(`cksum: invalid argument ‘${algo}’ for ‘--algorithm’\nValid arguments are:\n${ALGORITHMS.map((x) => `  - ‘${x}’\n`).join('')}${TRY}`);
      return 1;
    }
    if (algo === 'sm3') {
      ctx.err('cksum: sm3: unsupported algorithm\n');
      return 1;
    }
    const { inputs, status } = readInputs(ctx, 'cksum', files);
    for (const { name, data } of inputs) {
      const named = files.length > 0;
      const digest = DIGESTS[algo];
      if (digest) {
        const hex = createHash(digest[0]).update(data).digest('hex');
        ctx.out(untagged ? `${hex}  ${name}\n` : `${digest[1]} (${name}) = ${hex}\n`);
        continue;
      }
      const sum = algo === 'bsd' ? bsdSum(data) : algo === 'sysv' ? sysvSum(data) : `${posixCrc(data)} ${data.length}`;
      ctx.out(`${sum}${named ? ` ${name}` : ''}\n`);
    }
    return status;
  },
};
