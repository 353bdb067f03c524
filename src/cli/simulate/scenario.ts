// Campaign scenarios for `apiary simulate`: actors on loopback addresses (with the country, ASN and
// internal/external standing the config's overrides give them), outside servers that host payloads,
// the steps each actor plays, and the ground truth (chains, links, intents, techniques) they make.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { ApiaryError } from '../../errors/errors.js';
import { describeZodError } from '../../events/catalogue.js';
import { ATTACK_LINK_TYPES } from '../../store/store.js';

const loopback = z.string().regex(/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/, 'a loopback IPv4 address (127.x.y.z): simulations never leave the machine');
const name = z.string().regex(/^[a-z][a-z0-9_]{0,31}$/);
const text = z.string().max(4000);

const actorSchema = z
  .object({
    ip: loopback,
    country: z.string().regex(/^[A-Z]{2}$/).optional(),
    asn: z.number().int().min(1).optional(),
    internal: z.boolean().default(false),
    /** The SSH client's software version (the part after "SSH-2.0-"); each actor has its own unless set. */
    ssh_client: z.string().regex(/^[\x21-\x7e]{1,64}$/).optional(),
  })
  .strict();

const serverSchema = z
  .object({
    ip: loopback,
    /** Files by path, with strings their bytes carry (a miner's pool and wallet); other paths get bytes of their own. */
    files: z.record(z.string().regex(/^\/[\x21-\x7e]{0,200}$/), z.object({ strings: z.array(text).max(20) }).strict()).default({}),
  })
  .strict();

const credentials = { user: text, password: text };

const stepSchema = z.discriminatedUnion('do', [
  z.object({ do: z.literal('scan'), actor: name, ports: z.array(z.union([name, z.number().int().min(1).max(65535)])).min(1).max(64) }).strict(),
  z
    .object({
      do: z.literal('ssh_bruteforce'),
      actor: name,
      user: text,
      passwords: z.array(text).min(1).max(200),
      stop_on_success: z.boolean().default(true),
      /** found: the step succeeds when a password works; answered: when every attempt got an answer (a refusal counts). */
      expect: z.enum(['found', 'answered']).default('found'),
    })
    .strict(),
  z
    .object({
      do: z.literal('ssh_session'),
      actor: name,
      ...credentials,
      commands: z.array(text).max(100).default([]),
      /** Pause before each command, in ms: [least, most] (a person types; a script does not). */
      typing_ms: z.tuple([z.number().int().min(0).max(60_000), z.number().int().min(0).max(60_000)]).default([0, 0]),
      /** Pause between the keys of a command, in ms: [least, most]; [0, 0] sends each command as one line. */
      keystroke_ms: z.tuple([z.number().int().min(0).max(5000), z.number().int().min(0).max(5000)]).default([0, 0]),
      /** Variables read from a command's output: the first group of REGEX. */
      capture: z.array(z.object({ command: z.number().int().min(0), var: name, regex: z.string().max(400) }).strict()).default([]),
    })
    .strict(),
  z.object({ do: z.literal('ssh_tunnel'), actor: name, ...credentials, target_host: z.string().max(255), target_port: z.number().int().min(1).max(65535) }).strict(),
  z
    .object({
      do: z.literal('mysql_session'),
      actor: name,
      ...credentials,
      queries: z.array(text).max(50).default([]),
      /** Reads USER_VAR and PASSWORD_VAR from the first row of a query's result whose `username` is not SKIP_USER. */
      capture: z.object({ query: z.number().int().min(0), user_var: name, password_var: name, skip_user: z.string().optional() }).strict().optional(),
    })
    .strict(),
  z
    .object({
      do: z.literal('http_get'),
      actor: name,
      path: z.string().max(2000),
      /** Variables read from the response body: the first group of REGEX. */
      capture: z.array(z.object({ var: name, regex: z.string().max(400) }).strict()).default([]),
    })
    .strict(),
  z.object({ do: z.literal('smb_ms08_067'), actor: name, url: text }).strict(),
  z.object({ do: z.literal('wait'), ms: z.number().int().min(0).max(60_000) }).strict(),
]);

const linkSchema = z.object({ type: z.enum(ATTACK_LINK_TYPES), from: name, to: name }).strict();

const chainSchema = z
  .object({
    name,
    members: z.array(name).min(1),
    links: z.array(linkSchema).default([]),
    intents: z.array(z.enum(['mining', 'dos_bot', 'proxy', 'spreading', 'data_theft', 'scanning', 'persistence'])).default([]),
    techniques: z.array(z.string().regex(/^T\d{4}(\.\d{3})?$/)).default([]),
  })
  .strict();

export const scenarioSchema = z
  .object({
    name,
    description: z.string().max(2000).default(''),
    actors: z.record(name, actorSchema),
    servers: z.record(name, serverSchema).default({}),
    steps: z.array(stepSchema).min(1).max(500),
    chains: z.array(chainSchema).default([]),
  })
  .strict()
  .superRefine((s, ctx) => {
    const names = new Set([...Object.keys(s.actors), ...Object.keys(s.servers)]);
    const ips = [...Object.values(s.actors), ...Object.values(s.servers)].map((a) => a.ip);
    if (new Set(ips).size !== ips.length) ctx.addIssue({ code: 'custom', message: 'every actor and server needs its own address' });
    for (const st of s.steps) if ('actor' in st && !(st.actor in s.actors)) ctx.addIssue({ code: 'custom', message: `step names unknown actor ${st.actor}` });
    for (const c of s.chains) {
      for (const m of [...c.members, ...c.links.flatMap((l) => [l.from, l.to])]) if (!names.has(m)) ctx.addIssue({ code: 'custom', message: `chain ${c.name} names unknown ${m}` });
    }
  });

export type Scenario = z.infer<typeof scenarioSchema>;
export type ScenarioStep = Scenario['steps'][number];

export function loadScenario(path: string): Scenario {
  let raw: unknown;
  try {
    raw = parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ApiaryError('APIARY_CLI_USAGE', `cannot read scenario ${path}: ${(err as Error).message}`);
  }
  const r = scenarioSchema.safeParse(raw);
  if (!r.success) throw new ApiaryError('APIARY_CLI_USAGE', `scenario ${path}: ${describeZodError(r.error)}`);
  return r.data;
}

/** The config entries that give the scenario's actors their countries, ASNs and internal standing. */
export function enrichmentFor(scenarios: readonly Scenario[]): { overrides: { cidr: string; country?: string; asn?: number }[]; internal: string[] } {
  const overrides: { cidr: string; country?: string; asn?: number }[] = [];
  const internal: string[] = [];
  for (const s of scenarios) {
    for (const a of Object.values(s.actors)) {
      if (a.country || a.asn) overrides.push({ cidr: `${a.ip}/32`, ...(a.country ? { country: a.country } : {}), ...(a.asn ? { asn: a.asn } : {}) });
      if (a.internal) internal.push(`${a.ip}/32`);
    }
  }
  return { overrides, internal };
}

/** What a played scenario should come out as, with names replaced by addresses. */
export interface GroundTruth {
  scenario: string;
  actors: Record<string, string>;
  chains: { name: string; members: string[]; links: { type: string; from: string; to: string }[]; intents: string[]; techniques: string[] }[];
  /** Steps played: actor address, what, when, and whether it did what it meant to (logged in, got data). */
  played: { time: string; actor: string; ip: string; do: string; ok: boolean; detail: string }[];
}
