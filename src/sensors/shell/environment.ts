// Everything the shell sessions of one sensor process share: the generated machine, its base
// filesystem, the per-attacker overlays, the quarantine, the fetch policy, recordings and the
// planted honeytokens. Built once at start-up from the config.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FetchConfig, QuarantineConfig, RecordingConfig, ShellConfig } from '../../config/schema.js';
import { createSessionEmitter, type EventSink } from '../../events/emitter.js';
import { sourceKey } from '../../events/source-key.js';
import type { Honeytoken } from '../../events/honeytokens.js';
import { Fetcher, DEFAULT_FETCH_POLICY, type Resolver } from '../runtime/fetch.js';
import { flatCopy } from '../../wire/flat-copy.js';
import type { Capture } from '../runtime/capture.js';
import type { HostDescription, HostFile } from '../runtime/host.js';
import { openQuarantine, type Quarantine } from '../runtime/quarantine.js';
import { recordingSpace, type RecordingSpace } from '../runtime/recording.js';
import { commandRegistry } from './commands/index.js';
import { buildBaseFs } from './fs-build.js';
import { defaultHoneytokens, plantHoneytokens } from './honeytokens.js';
import { OverlayStore } from './overlay-store.js';
import { generateProfile, type SystemProfile } from './profile.js';
import type { CommandDef } from './types.js';
import type { BaseFs, OverlayQuota } from './vfs.js';
import { makeRoom } from '../../wire/bounded.js';

/** Source addresses whose changed passwords are remembered. */
export const MAX_CHANGED_SOURCES = 10_000;

export interface ShellEnvironmentOptions {
  dataDir: string;
  sensor: string;
  shell: ShellConfig;
  fetch: FetchConfig;
  quarantine: QuarantineConfig;
  recording: RecordingConfig;
  /** The SSH version the banner shows (without "SSH-2.0-"), echoed by `ssh -V`. */
  sshVersion: string;
  sink: EventSink;
  /** The host every sensor of this Apiary describes (boot time, daemons); see generateProfile. */
  host?: HostDescription;
  /**
   * The process's one quarantine and fetcher, shared with the other sensors so the quota and the
   * per-source fetch rate hold across all of them; without it the environment makes its own.
   */
  capture?: Capture;
  /** Files the host's other daemons serve (the FTP root as /srv/ftp), so the shell shows what they list. */
  hostFiles?: readonly HostFile[];
  /** For tests: a resolver that never touches DNS (when the environment makes its own fetcher). */
  resolver?: Resolver;
  now?: () => number;
}

export class ShellEnvironment {
  readonly profile: SystemProfile;
  readonly base: BaseFs;
  readonly rootHistory: readonly string[];
  readonly honeytokens: readonly Honeytoken[];
  readonly commands: ReadonlyMap<string, CommandDef>;
  readonly overlays: OverlayStore;
  readonly quarantine: Quarantine;
  readonly fetcher: Fetcher;
  readonly quota: OverlayQuota;
  readonly recordingDir: string | undefined;
  readonly recordingMaxBytes: number;
  /** The disk space all recordings share (config recording.max_total_bytes). */
  readonly recordingSpace: RecordingSpace | undefined;
  /** Passwords attackers set with passwd/chpasswd, per source (sourceKey), so logging in with them works. */
  private readonly changed = new Map<string, Map<string, string>>();

  constructor(readonly opts: ShellEnvironmentOptions) {
    const shellDir = join(opts.dataDir, 'shell');
    this.profile = installProfile(opts);
    const tokens = opts.shell.honeytokens ?? defaultHoneytokens(this.profile);
    const planted = plantHoneytokens(this.profile, tokens);
    const built = buildBaseFs(this.profile, planted, opts.hostFiles);
    this.base = built.base;
    this.rootHistory = built.rootHistory;
    this.honeytokens = planted.tokens;
    this.commands = commandRegistry();
    this.quota = { maxBytes: opts.shell.quota_bytes, maxEntries: opts.shell.quota_entries };
    this.overlays = new OverlayStore({ dir: join(shellDir, 'overlays'), quota: this.quota, resetAfterS: opts.shell.reset_after_s, maxAttackers: opts.shell.max_attackers, ...(opts.now ? { now: opts.now } : {}) });
    this.quarantine = opts.capture?.quarantine ?? openQuarantine(opts.dataDir, opts.quarantine);
    this.fetcher = opts.capture?.fetcher ?? new Fetcher(
      {
        ...DEFAULT_FETCH_POLICY,
        enabled: opts.fetch.enabled,
        maxBytes: opts.fetch.max_bytes,
        timeoutMs: opts.fetch.timeout_s * 1000,
        perSourcePerMinute: opts.fetch.per_source_per_minute,
        allowCidrs: opts.fetch.allow_cidrs,
      },
      opts.resolver,
      opts.now,
    );
    this.recordingDir = opts.recording.enabled ? join(opts.dataDir, 'recordings') : undefined;
    this.recordingMaxBytes = opts.recording.max_bytes;
    this.recordingSpace = this.recordingDir ? recordingSpace(this.recordingDir, opts.recording.max_total_bytes) : undefined;
  }

  /** Remembers that the attacker at SRC (its source: the /64 for IPv6) set USER's password (bounded: oldest sources dropped first). */
  passwordChanged(src: string, user: string, password: string): void {
    const key = sourceKey(src);
    let m = this.changed.get(key);
    if (!m) {
      makeRoom(this.changed, MAX_CHANGED_SOURCES);
      this.changed.set(key, (m = new Map()));
    }
    // Kept for as long as the source is remembered: copies, not views into the stdin or script they came from.
    if (m.size < 32 || m.has(user)) m.set(flatCopy(user.slice(0, 256)), flatCopy(password.slice(0, 1024)));
  }

  /** Whether SRC set USER's password to PASSWORD in an earlier session (a real server would now accept it). */
  acceptsChangedPassword(src: string, user: string, password: string): boolean {
    return this.changed.get(sourceKey(src))?.get(user) === password;
  }

  /** Announces the planted honeytokens (once per start; consumers de-duplicate by token_id). */
  announceHoneytokens(): void {
    const em = createSessionEmitter(this.opts.sink, { sensor: this.opts.sensor, protocol: 'shell', src_ip: '0.0.0.0', src_port: 0, dst_ip: '0.0.0.0', dst_port: 0 });
    for (const t of this.honeytokens) {
      em.emit('honeytoken.planted', { token_id: t.id, kind: t.kind, username: t.username, secret: t.secret, ...(t.host ? { host: t.host } : {}), locations: t.locations });
    }
  }
}

/**
 * The install's generated machine (hostname, domain, users...), from the seed kept in
 * DATA_DIR/shell/seed: the fake shell's, and the name the other Linux services give (the SMTP
 * greeting, MySQL's @@hostname) whether or not the shell runs.
 */
export function installProfile(opts: Pick<ShellEnvironmentOptions, 'dataDir' | 'shell' | 'sshVersion' | 'host' | 'now'>): SystemProfile {
  const shellDir = join(opts.dataDir, 'shell');
  mkdirSync(shellDir, { recursive: true, mode: 0o700 });
  const seed = opts.shell.seed ?? loadOrCreateSeed(join(shellDir, 'seed'));
  return generateProfile({ seed, sshVersion: opts.sshVersion, ...(opts.shell.hostname ? { hostname: opts.shell.hostname } : {}), ...(opts.host ? { host: opts.host } : {}), ...(opts.now ? { now: opts.now } : {}) });
}

function loadOrCreateSeed(path: string): string {
  try {
    const s = readFileSync(path, 'utf8').trim();
    if (s) return s;
  } catch {
    /* first start */
  }
  const seed = randomBytes(16).toString('hex');
  writeFileSync(path, `${seed}\n`, { mode: 0o600 });
  return seed;
}
