// One catalogue of coded errors: every operator-facing failure has a stable code documented in docs/errors.md.

export const ERROR_CODES = {
  APIARY_CONFIG_INVALID: 'the configuration does not match the schema (the message names the key and what is expected)',
  APIARY_CONFIG_UNREADABLE: 'the configuration file cannot be read or is not valid YAML',
  APIARY_DATA_DIR: 'the data directory cannot be created or written',
  APIARY_LISTEN_FAILED: 'a service could not bind its listen address (in use, or not permitted)',
  APIARY_STORE_OPEN: 'the store cannot be opened (missing directory, corrupt file, wrong permissions)',
  APIARY_STORE_WRITE: 'a batch of events could not be written; it is kept in memory and retried',
  APIARY_ATTACK_STATE_SAVE: 'the attack reconstruction state could not be saved; folding goes on and the save is retried an interval later',
  APIARY_ANALYSIS: 'the analysis thread (PostgreSQL store) failed; it is started again and resumes from its watermarks',
  APIARY_HOST_KEY: 'an SSH host key in the data directory cannot be read or generated',
  APIARY_CLI_USAGE: 'a command-line flag or argument is missing or malformed',
  APIARY_TLS_CERT: 'the HTTPS certificate in the data directory cannot be read or generated',
  APIARY_GEOIP: 'a GeoIP database (configured or shipped) is missing, unreadable, corrupt or of the wrong type',
  APIARY_NOT_FOUND: 'the incident (or other record) named on the command line does not exist',
  APIARY_REPORT: 'a report could not be written (output path, or PDF without Chromium)',
  APIARY_CA: "the collector's CA (collector.ca_dir) is incomplete, or this user cannot read or write it",
  APIARY_ENROLL: 'the sensor is not enrolled, its credentials cannot be read, or the collector refused or could not be reached for its enrolment',
  APIARY_SSH_UNPATCHED: 'a warning at start: the installed ssh2 sends its own malformed server-sig-algs list, which gives the SSH sensor away (scripts/patch-ssh2.mjs not applied)',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** An error an operator can act on: a stable code plus a message that says what to fix. */
export class ApiaryError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ApiaryError';
    this.code = code;
  }
}

export function isApiaryError(err: unknown): err is ApiaryError {
  return err instanceof ApiaryError;
}

/**
 * APIARY_LISTEN_FAILED for SUBJECT ("ssh", "the dashboard") that could not listen on ADDRESS: the
 * system's reason, and what to do about the two common ones (KEY: the config key naming the address).
 */
export function listenFailed(subject: string, address: string, err: unknown, key: string): ApiaryError {
  const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  const hint = code === 'EADDRINUSE' ? ` (another program uses it; pick another port in ${key})` : code === 'EACCES' ? ' (ports below 1024 need root or CAP_NET_BIND_SERVICE)' : '';
  return new ApiaryError('APIARY_LISTEN_FAILED', `${subject} cannot listen on ${address}: ${code}${hint}`);
}
