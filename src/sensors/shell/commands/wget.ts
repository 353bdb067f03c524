// wget: fetches through the sensor's fetch policy (often off: then it fails the way a firewalled
// host does), prints GNU wget's progress, saves into the virtual filesystem.
import type { CommandDef } from '../types.js';
import { FAIL_DELAY_MS, REFUSED_BY_POLICY, fetchVia, isAddress, localAnswer, parseTarget, remoteName, save, sizeText } from './net-common.js';
import { dateTime } from './util.js';

/** `wget --version` as Debian 12's wget 1.21.3 prints it. */
const WGET_VERSION = `GNU Wget 1.21.3 built on linux-gnu.

-cares +digest -gpgme +https +ipv6 +iri +large-file -metalink +nls 
+ntlm +opie +psl +ssl/gnutls 

Wgetrc: 
    /etc/wgetrc (system)
Locale: 
    /usr/share/locale 
Compile: 
    gcc -DHAVE_CONFIG_H -DSYSTEM_WGETRC="/etc/wgetrc" 
    -DLOCALEDIR="/usr/share/locale" -I. -I../../src -I../lib 
    -I../../lib -Wdate-time -D_FORTIFY_SOURCE=2 
    -I/usr/include/p11-kit-1 -DHAVE_LIBGNUTLS -DNDEBUG -g -O2 
    -ffile-prefix-map=/build/reproducible-path/wget-1.21.3=. 
    -fstack-protector-strong -Wformat -Werror=format-security 
    -DNO_SSLv2 -D_FILE_OFFSET_BITS=64 -g -Wall 
Link: 
    gcc -I/usr/include/p11-kit-1 -DHAVE_LIBGNUTLS -DNDEBUG -g -O2 
    -ffile-prefix-map=/build/reproducible-path/wget-1.21.3=. 
    -fstack-protector-strong -Wformat -Werror=format-security 
    -DNO_SSLv2 -D_FILE_OFFSET_BITS=64 -g -Wall -Wl,-z,relro -Wl,-z,now 
    -lpcre2-8 -luuid -lidn2 -lnettle -lgnutls -lz -lpsl ../lib/libgnu.a 

Copyright (C) 2015 Free Software Foundation, Inc.
License GPLv3+: GNU GPL version 3 or later
<http://www.gnu.org/licenses/gpl.html>.
This is free software: you are free to change and redistribute it.
There is NO WARRANTY, to the extent permitted by law.

Originally written by Hrvoje Niksic <hniksic@xemacs.org>.
Please send bug reports and questions to <bug-wget@gnu.org>.
`;

export const wget: CommandDef = {
  names: ['wget'],
  async run(ctx) {
    let outFile: string | undefined;
    let dir: string | undefined;
    let quiet = false;
    const urls: string[] = [];
    for (let i = 0; i < ctx.args.length; i++) {
      const a = ctx.args[i]!;
      if (a === '-V' || a === '--version') {
        ctx.out(WGET_VERSION);
        return 0;
      }
      if (a === '-O' || a === '--output-document') outFile = ctx.args[++i];
      else if (a.startsWith('-O') && a.length > 2) outFile = a.slice(2);
      else if (a.startsWith('--output-document=')) outFile = a.slice(18);
      else if (a === '-P' || a === '--directory-prefix') dir = ctx.args[++i];
      else if (a === '-q' || a === '--quiet' || a === '-nv' || a === '-qO-') {
        quiet = true;
        if (a === '-qO-') outFile = '-';
      } else if (/^-[a-zA-Z]+$/.test(a) && a.includes('q')) {
        // Not /^-[a-zA-Z]*q[a-zA-Z]*$/: it backtracked quadratically on many q's (1 s at 40,000).
        quiet = true;
        if (a.endsWith('O')) outFile = ctx.args[++i];
      } else if (a === '-t' || a === '-T' || a === '--tries' || a === '-U' || a === '--user-agent' || a === '--header') i++;
      else if (a.startsWith('-')) continue;
      else urls.push(a);
    }
    if (urls.length === 0) {
      ctx.err("wget: missing URL\nUsage: wget [OPTION]... [URL]...\n\nTry `wget --help' for more options.\n");
      return 1;
    }
    let status = 0;
    const log = (s: string): void => {
      if (!quiet) ctx.err(s);
    };
    for (const raw of urls) {
      const t = parseTarget(raw);
      if (!t || !['http', 'https', 'ftp'].includes(t.scheme)) {
        ctx.err(t ? `${raw}: Unsupported scheme \u2018${t.scheme}\u2019.\n` : `${raw}: Invalid URL.\n`);
        status = 1;
        continue;
      }
      const name = outFile ?? (dir ? `${dir}/${remoteName(t)}` : remoteName(t));
      log(`--${dateTime(ctx.sh.now())}--  ${t.url}\n`);
      if (!isAddress(t.host)) log(`Resolving ${t.host} (${t.host})... `);
      else log(`Connecting to ${t.host}:${t.port}... `);
      let r = await fetchVia(ctx, 'wget', t, name === '-' ? undefined : name);
      const local = !r.ok && REFUSED_BY_POLICY.has(r.error) ? localAnswer(ctx.sh, t) : undefined;
      if (local) {
        const addresses = local.addresses;
        // Resolved through /etc/hosts, then each address tried in turn as GNU wget does.
        const via = (a: string): string => (isAddress(t.host) ? `${t.host}:${t.port}` : `${t.host} (${t.host})|${a}|:${t.port}`);
        if (!isAddress(t.host)) log(`${addresses.join(', ')}\n`);
        if (local.kind === 'refused') {
          log(addresses.map((a, i) => `${i > 0 || !isAddress(t.host) ? `Connecting to ${via(a)}... ` : ''}failed: Connection refused.\n`).join(''));
          status = 4;
          continue;
        }
        if (!isAddress(t.host)) log(`Connecting to ${via(addresses.at(-1)!)}... `);
        if (local.status >= 400) {
          log(`connected.\nHTTP request sent, awaiting response... ${local.status} ${local.reason}\n${dateTime(ctx.sh.now())} ERROR ${local.status}: ${local.reason}.\n\n`);
          status = 8;
          continue;
        }
        r = { ok: true, data: local.body, truncated: false, contentType: local.type };
      }
      if (!r.ok) {
        if (REFUSED_BY_POLICY.has(r.error)) {
          await ctx.sh.sleep(FAIL_DELAY_MS);
          log(!isAddress(t.host) ? `failed: Temporary failure in name resolution.\nwget: unable to resolve host address \u2018${t.host}\u2019\n` : 'failed: Connection timed out.\nRetrying.\n\n');
          status = 4;
          continue;
        }
        if (r.error === 'connect' || r.error === 'timeout') {
          log(`failed: ${r.error === 'timeout' ? 'Connection timed out' : 'Connection refused'}.\n`);
          status = 4;
          continue;
        }
        if (r.error === 'http') {
          log(`connected.\nHTTP request sent, awaiting response... ${r.status ?? 404} ${r.detail ?? 'Not Found'}\n${dateTime(ctx.sh.now())} ERROR ${r.status ?? 404}: ${r.detail ?? 'Not Found'}.\n\n`);
          status = 8;
          continue;
        }
        log('failed: Connection reset by peer.\n');
        status = 4;
        continue;
      }
      if (!isAddress(t.host) && !local) log(`${t.host}\nConnecting to ${t.host} (${t.host})|${t.host}|:${t.port}... `);
      log(`connected.\nHTTP request sent, awaiting response... 200 OK\nLength: ${r.data.length}${r.data.length >= 1024 ? ` (${sizeText(r.data.length)})` : ''} [${r.contentType ?? 'application/octet-stream'}]\nSaving to: \u2018${name === '-' ? 'STDOUT' : name}\u2019\n\n`);
      if (name === '-') ctx.out(r.data);
      else {
        const e = save(ctx, name, r.data, 'wget');
        if (e) {
          ctx.err(`${e}\n`);
          status = 3;
          continue;
        }
      }
      log(`${(name === '-' ? '-' : name).slice(0, 18).padEnd(19)}100%[===================>] ${sizeText(r.data.length).padStart(6)}  --.-KB/s    in 0s      \n\n${dateTime(ctx.sh.now())} (${(Math.max(r.data.length, 1) / 1024 / 0.004).toFixed(1)} KB/s) - \u2018${name === '-' ? 'STDOUT' : name}\u2019 saved [${r.data.length}/${r.data.length}]\n\n`);
    }
    return status;
  },
};
