// The shipped scenarios played live by `apiary simulate` (ssh2, mysql2, raw TCP, SMB MS08-067 from their
// own loopback addresses) against `apiary start`; the chains it reconstructs on its own are compared
// with the ground truth simulate wrote, and the paper's three stories are checked step by step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { parse } from 'yaml';
import { join, resolve } from 'node:path';
import { runCli, startApiaryProcess, waitFor } from '../../helpers/apiary-process.js';
import { chainFor, linkFigures, membershipFigures, tagFigures } from '../../helpers/attack-truth.js';
import { enrichmentFor, loadScenario, type GroundTruth } from '../../../src/cli/simulate/scenario.js';
import type { AttackRecord } from '../../../src/store/store.js';

const DIR = resolve('scenarios');
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort();

test('shipped scenarios played live: links and chain membership reach 0.95 precision and recall; the three stories are one chain each', { timeout: 180_000 }, async () => {
  const scenarios = FILES.map((f) => loadScenario(join(DIR, f)));
  // The shipped config for the scenarios, on free ports and with the test's own data directory.
  const shipped = parse(readFileSync(join(DIR, 'config', 'apiary.yaml'), 'utf8')) as Record<string, unknown> & { services: Record<string, Record<string, unknown>> };
  const enrich = enrichmentFor(scenarios);
  assert.deepEqual(shipped.networks, { internal: enrich.internal }, 'scenarios/config/apiary.yaml: networks.internal is what --print-enrichment gives');
  assert.deepEqual(shipped.geoip, { overrides: enrich.overrides }, 'scenarios/config/apiary.yaml: geoip.overrides are what --print-enrichment gives');
  const { data_dir: _dataDir, ...config } = shipped;
  for (const svc of Object.values(config.services)) svc.listen = ['127.0.0.1:0'];
  const apiary = await startApiaryProcess({ ...config, sensor: 'attacks-live' });
  try {
    const ports = ['ssh', 'mysql', 'smb', 'http'].map((s) => `--port=${s}=${apiary.ports[s]}`);
    const truth: GroundTruth[] = [];
    for (const f of FILES) {
      const out = join(apiary.dir, `${f}.truth.json`);
      const r = await runCli(['simulate', '--config', apiary.configPath, '--scenario', join(DIR, f), '--truth', out, ...ports], { allowFail: true });
      const t = JSON.parse(readFileSync(out, 'utf8')) as GroundTruth;
      assert.deepEqual(t.played.filter((p) => !p.ok), [], `${f} played every step:\n${r.stdout}${r.stderr}`);
      truth.push(t);
    }
    const links = truth.flatMap((t) => t.chains.flatMap((c) => c.links));
    let chains: AttackRecord[] = [];
    // Chains are folded by the running Apiary within its tracking interval; wait until they settle.
    await waitFor(async () => {
      const { stdout } = await runCli(['attacks', '--config', apiary.configPath, '--json']);
      chains = stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as AttackRecord);
      return linkFigures(truth, chains).tp >= links.length;
    }, 20_000, 250).catch(() => {});
    const lf = linkFigures(truth, chains);
    const mf = membershipFigures(truth, chains);
    const intents = tagFigures(truth, chains, 'intents');
    const techniques = tagFigures(truth, chains, 'techniques');
    const pct = (x: number) => x.toFixed(3);
    process.stdout.write(
      `# ${truth.length} scenarios, ${truth.reduce((n, t) => n + t.chains.length, 0)} chains, ${links.length} links in the truth; ${chains.length} chains stored\n` +
        `# links:       precision ${pct(lf.precision)} recall ${pct(lf.recall)} (tp ${lf.tp}, fp ${lf.fp}, fn ${lf.fn})\n` +
        `# membership:  precision ${pct(mf.precision)} recall ${pct(mf.recall)} (pairs tp ${mf.tp}, fp ${mf.fp}, fn ${mf.fn})\n` +
        `# intents:     precision ${pct(intents.precision)} recall ${pct(intents.recall)}\n` +
        `# techniques:  recall ${pct(techniques.recall)} of those the truth names (${techniques.extra.length} more tagged)\n`,
    );
    assert.ok(lf.precision >= 0.95 && lf.recall >= 0.95, `links: missed ${JSON.stringify(lf.missed)}, extra ${JSON.stringify(lf.extra)}`);
    assert.ok(mf.precision >= 0.95 && mf.recall >= 0.95, `membership ${JSON.stringify(mf)}`);
    assert.ok(intents.precision >= 0.95 && intents.recall >= 0.95, `intents: missed ${JSON.stringify(intents.missed)}, extra ${JSON.stringify(intents.extra)}`);
    assert.deepEqual(techniques.missed, []);

    const ip = (scenario: string, actor: string): string => truth.find((t) => t.scenario === scenario)!.actors[actor]!;
    const order = (rec: AttackRecord, checks: [string, RegExp][]): void => {
      let at = 0;
      for (const [src, re] of checks) {
        const i = rec.steps.findIndex((s, k) => k >= at && s.src_ip === src && re.test(s.summary));
        assert.ok(i >= 0, `step ${src} ${re} after #${at} in\n${rec.steps.map((s) => `${s.src_ip} ${s.technique} ${s.summary}`).join('\n')}`);
        at = i;
      }
    };
    // Story 1: three brute-forcers, a fourth logs in at first try, downloads a miner, adds a cron job.
    const s1 = chainFor(chains, ip('story1_handoff', 'intruder'))!;
    assert.equal(s1.sources.length, 4);
    order(s1, [
      [ip('story1_handoff', 'bf1'), /brute force/],
      [ip('story1_handoff', 'intruder'), /logged in as root at first try/],
      [ip('story1_handoff', 'intruder'), /downloaded http:\/\/127\.41\.9\.9:\d+\/xmrig/],
      [ip('story1_handoff', 'intruder'), /crontab/],
    ]);
    // The Litecoin wallet and pool are only inside the downloaded miner: found in its quarantined strings.
    const mining = s1.intents.find((i) => i.name === 'mining')!;
    assert.ok(mining.evidence.some((e) => e.detail === 'litecoin wallet LM2WMpR1Rp6j3Sa59cMXMs1SPzj9eXpGc1'), JSON.stringify(mining.evidence));
    // Story 2: SSH login and .my.cnf read; MySQL login with it and the admins dump; the admin's password on SSH.
    const s2 = chainFor(chains, ip('story2_honeytoken', 'jumper'))!;
    assert.equal(s2.sources.length, 3);
    order(s2, [
      [ip('story2_honeytoken', 'reader'), /read decoy credential for root/],
      [ip('story2_honeytoken', 'dbthief'), /used the decoy credential of root/],
      [ip('story2_honeytoken', 'dbthief'), /admins/],
      [ip('story2_honeytoken', 'jumper'), /used the decoy credential of /],
    ]);
    assert.ok(s2.factors.honeytoken_use, JSON.stringify(s2.factors));
    assert.match(s2.factors.human_typing?.explanation ?? '', /keystrokes at a person's uneven pace in the recordings of 127\.42\.1\.20/);
    // Scripts that send whole lines are not taken for people.
    assert.equal(chainFor(chains, ip('shared_script', 'scripta'))!.factors.human_typing, undefined);
    // Story 3: the internal host scans, exploits MS08-067, and the trojan is fetched from the outside server.
    const s3 = chainFor(chains, ip('story3_propagation', 'infected'))!;
    assert.deepEqual(s3.sources.map((s) => `${s.ip} ${s.role}`).sort(), ['127.43.1.5 attacker', '127.99.43.1 server']);
    assert.equal(s3.sources.find((s) => s.role === 'attacker')!.scope, 'internal');
    order(s3, [
      ['127.43.1.5', /scanned port/],
      ['127.43.1.5', /exploit MS08-067/i],
      ['127.43.1.5', /shellcode fetching http:\/\/127\.99\.43\.1:\d+\/trojan\.exe/],
    ]);

    // The CLI shows the timeline with the technique per step.
    const show = await runCli(['attack', 'show', s1.id, '--config', apiary.configPath]);
    assert.match(show.stdout, /credential_handoff: 127\.41\.1\.10 -> 127\.41\.4\.10/);
    assert.match(show.stdout, /T1053\.003/);
    const list = await runCli(['attacks', '--config', apiary.configPath, '--min-score', String(s2.score)]);
    assert.match(list.stdout, new RegExp(s2.id));
  } finally {
    await apiary.stop();
  }
});
