// Loads, validates and freezes the configuration; every failure names the key and says what is expected.
import { accessSync, constants, mkdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { ApiaryError } from '../errors/errors.js';
import { configSchema, DEFAULT_CONFIG_INPUT, parseListenAddress, type Config, type ParsedConfig } from './schema.js';

/** Largest config file read; anything bigger is surely not a config. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

export interface LoadedConfig {
  config: Config;
  /** The file it came from, or undefined for built-in defaults. */
  file: string | undefined;
}

/** Reads FILE (or the built-in defaults when FILE is undefined), validates and freezes it. */
export function loadConfig(file: string | undefined, opts: { checkDataDir?: boolean } = {}): LoadedConfig {
  let input: unknown = DEFAULT_CONFIG_INPUT;
  let baseDir = process.cwd();
  if (file !== undefined) {
    let text: string;
    try {
      const buf = readFileSync(file);
      if (buf.length > MAX_CONFIG_BYTES) {
        throw new ApiaryError('APIARY_CONFIG_UNREADABLE', `config file ${file} is ${buf.length} bytes; the limit is ${MAX_CONFIG_BYTES}`);
      }
      text = buf.toString('utf8');
    } catch (err) {
      if (err instanceof ApiaryError) throw err;
      throw new ApiaryError('APIARY_CONFIG_UNREADABLE', `cannot read config file ${file}: ${(err as Error).message}`);
    }
    input = parseConfigText(text, file);
    baseDir = dirname(resolve(file));
  }
  const config = validateConfig(input, file ?? 'built-in defaults');
  const resolved = resolvePaths(config, baseDir);
  if (opts.checkDataDir !== false) checkDataDir(resolved.data_dir);
  return { config: deepFreeze(resolved), file };
}

/** YAML text -> plain value. An empty file is an empty config. */
export function parseConfigText(text: string, where = 'config'): unknown {
  try {
    const v: unknown = parseYaml(text, { maxAliasCount: 100, uniqueKeys: true, logLevel: 'error' });
    return v ?? {};
  } catch (err) {
    const detail = err instanceof YAMLParseError ? err.message.split('\n')[0] : (err as Error).message;
    throw new ApiaryError('APIARY_CONFIG_UNREADABLE', `${where} is not valid YAML: ${detail}`);
  }
}

/** Validates a parsed config value. Throws ApiaryError naming the first offending key. */
export function validateConfig(input: unknown, where = 'config'): ParsedConfig {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new ApiaryError('APIARY_CONFIG_INVALID', `${where}: the top level must be a mapping of keys (sensor, data_dir, services, ...)`);
  }
  const r = configSchema.safeParse(input);
  if (!r.success) throw new ApiaryError('APIARY_CONFIG_INVALID', `${where}: ${formatIssue(r.error.issues[0]!)}`);
  checkListenConflicts(r.data, where);
  return r.data;
}

/** A `services:` block alone (central settings for a sensor), checked and named as in a config file. */
export function validateServices(input: unknown, where: string): ParsedConfig['services'] {
  const r = configSchema.shape.services.safeParse(input ?? {});
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new ApiaryError('APIARY_CONFIG_INVALID', `${where}: ${formatIssue({ ...issue, path: ['services', ...issue.path] })}`);
  }
  checkListenConflicts({ services: r.data } as ParsedConfig, where);
  return r.data;
}

function formatPath(path: (string | number)[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p;
  return out || '(top level)';
}

function formatIssue(issue: z.ZodIssue): string {
  const key = formatPath(issue.path);
  switch (issue.code) {
    case 'unrecognized_keys':
      return `unknown key ${issue.keys.map((k) => JSON.stringify(k)).join(', ')} in ${key}; remove it or check its spelling against apiary.example.yaml`;
    case 'invalid_type':
      return `key ${key}: expected ${issue.expected}, got ${issue.received}`;
    default:
      return `key ${key}: ${issue.message}`;
  }
}

function checkListenConflicts(config: ParsedConfig, where: string): void {
  const seen = new Map<string, string>();
  for (const [name, svc] of Object.entries(config.services)) {
    if (!svc || !svc.enabled) continue;
    svc.listen.forEach((addr, i) => {
      const key = `services.${name}.listen[${i}]`;
      const parsed = parseListenAddress(addr);
      if (typeof parsed === 'string' || parsed.port === 0) return;
      const id = `${parsed.host}|${parsed.port}`;
      const other = seen.get(id);
      if (other) {
        throw new ApiaryError('APIARY_CONFIG_INVALID', `${where}: key ${key}: ${addr} is already used by ${other}; give each service its own address or port`);
      }
      seen.set(id, key);
    });
  }
}

function resolvePaths(config: ParsedConfig, baseDir: string): Config {
  const data_dir = resolve(baseDir, config.data_dir);
  const sqlitePath = config.store.sqlite.path ? resolve(baseDir, config.store.sqlite.path) : resolve(data_dir, 'apiary.db');
  const jsonl = config.outputs.jsonl ? { path: resolve(baseDir, config.outputs.jsonl.path) } : undefined;
  const cowrieJson = config.outputs.cowrie_json ? { path: resolve(baseDir, config.outputs.cowrie_json.path) } : undefined;
  const geoip = {
    ...config.geoip,
    ...(config.geoip.country_db ? { country_db: resolve(baseDir, config.geoip.country_db) } : {}),
    ...(config.geoip.asn_db ? { asn_db: resolve(baseDir, config.geoip.asn_db) } : {}),
  };
  return {
    ...config,
    geoip,
    data_dir,
    store: { ...config.store, sqlite: { path: sqlitePath } },
    shipper: { ...config.shipper, spool_dir: config.shipper.spool_dir ? resolve(baseDir, config.shipper.spool_dir) : resolve(data_dir, 'spool') },
    collector: { ...config.collector, ca_dir: config.collector.ca_dir ? resolve(baseDir, config.collector.ca_dir) : resolve(data_dir, 'ca') },
    outputs: { ...config.outputs, ...(jsonl ? { jsonl } : {}), ...(cowrieJson ? { cowrie_json: cowrieJson } : {}) },
  };
}

function checkDataDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (err) {
    throw new ApiaryError('APIARY_DATA_DIR', `key data_dir: ${dir} cannot be created or written (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); choose a directory this user can write`);
  }
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const child of Object.values(v as Record<string, unknown>)) deepFreeze(child);
  }
  return v;
}
