// curl: to stdout by default (so `curl ... | sh` works), -o/-O to files, -s/-S/-f/-L/-k accepted.
import type { CommandDef } from '../types.js';
import { FAIL_DELAY_MS, REFUSED_BY_POLICY, fetchVia, isAddress, localAnswer, parseTarget, remoteName, save } from './net-common.js';

export const curl: CommandDef = {
  names: ['curl'],
  async run(ctx) {
    let outFile: string | undefined;
    let remote = false;
    let silent = false;
    let fail = false;
    const urls: string[] = [];
    for (let i = 0; i < ctx.args.length; i++) {
      const a = ctx.args[i]!;
      if (a === '-o' || a === '--output') outFile = ctx.args[++i];
      else if (a === '-O' || a === '--remote-name') remote = true;
      else if (['-H', '-A', '-d', '-X', '-u', '-e', '-m', '--max-time', '--connect-timeout', '--header', '--user-agent', '--data', '-x', '--proxy'].includes(a)) i++;
      else if (/^-[a-zA-Z]+$/.test(a)) {
        if (a.includes('s')) silent = true;
        if (a.includes('f')) fail = true;
        if (a.includes('O')) remote = true;
        if (a.endsWith('o')) outFile = ctx.args[++i];
      } else if (a === '--silent') silent = true;
      else if (a === '--fail') fail = true;
      else if (a === '--version' || a === '-V') {
        ctx.out('curl 7.88.1 (x86_64-pc-linux-gnu) libcurl/7.88.1 OpenSSL/3.0.15 zlib/1.2.13 brotli/1.0.9 zstd/1.5.4 libidn2/2.3.3 libpsl/0.21.2 (+libidn2/2.3.3) libssh2/1.10.0 nghttp2/1.52.0 librtmp/2.3 OpenLDAP/2.5.13\nRelease-Date: 2023-02-20, security patched: 7.88.1-10+deb12u8\n');
        return 0;
      } else if (!a.startsWith('-')) urls.push(a);
    }
    if (urls.length === 0) {
      ctx.err("curl: try 'curl --help' or 'curl --manual' for more information\n");
      return 2;
    }
    const showErrors = ctx.args.some((a) => a === '--show-error' || /^-[a-zA-Z]*S/.test(a));
    let status = 0;
    for (const raw of urls) {
      const t = parseTarget(raw);
      if (!t || !['http', 'https', 'ftp', 'tftp'].includes(t.scheme)) {
        ctx.err(`curl: (1) Protocol "${t?.scheme ?? raw}" not supported or disabled in libcurl\n`);
        status = 1;
        continue;
      }
      const name = outFile ?? (remote ? remoteName(t) : undefined);
      let r = await fetchVia(ctx, 'curl', t, name);
      const local = !r.ok && REFUSED_BY_POLICY.has(r.error) ? localAnswer(ctx.sh, t) : undefined;
      if (local?.kind === 'refused') {
        if (!silent || showErrors) ctx.err(`curl: (7) Failed to connect to ${t.host} port ${t.port} after 0 ms: Couldn't connect to server\n`);
        status = 7;
        continue;
      }
      if (local?.kind === 'page') {
        if (local.status >= 400 && fail) {
          if (!silent || showErrors) ctx.err(`curl: (22) The requested URL returned error: ${local.status}\n`);
          status = 22;
          continue;
        }
        r = { ok: true, data: local.body, truncated: false, contentType: local.type, status: local.status };
      }
      if (!r.ok) {
        if (r.error === 'http') {
          if (fail) {
            if (!silent || showErrors) ctx.err(`curl: (22) The requested URL returned error: ${r.status ?? 404}\n`);
            status = 22;
          }
          continue;
        }
        await ctx.sh.sleep(FAIL_DELAY_MS);
        const resolveFail = !isAddress(t.host) && r.error !== 'connect';
        if (!silent || showErrors) ctx.err(resolveFail ? `curl: (6) Could not resolve host: ${t.host}\n` : `curl: (28) Failed to connect to ${t.host} port ${t.port} after ${FAIL_DELAY_MS + 7} ms: Couldn't connect to server\n`);
        status = resolveFail ? 6 : 28;
        continue;
      }
      if (name === undefined) ctx.out(r.data);
      else {
        if (!silent) ctx.err(`  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n                                 Dload  Upload   Total   Spent    Left  Speed\n100 ${String(r.data.length).padStart(5)}  100 ${String(r.data.length).padStart(5)}    0     0   ${String(Math.min(99999, r.data.length * 20)).padStart(5)}      0 --:--:-- --:--:-- --:--:-- ${String(Math.min(99999, r.data.length * 20)).padStart(5)}\n`);
        const e = save(ctx, name, r.data, 'curl');
        if (e) {
          ctx.err(`curl: (23) Failure writing output to destination\n`);
          status = 23;
        }
      }
    }
    return status;
  },
};
