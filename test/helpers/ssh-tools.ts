// Drives the real OpenSSH client (through sshpass) against a sensor on loopback.
import { spawn } from 'node:child_process';

export const SSH_OPTS = [
  '-o', 'StrictHostKeyChecking=no',
  '-o', 'UserKnownHostsFile=/dev/null',
  '-o', 'LogLevel=ERROR',
  '-o', 'NumberOfPasswordPrompts=1',
  '-o', 'PubkeyAuthentication=no',
  '-o', 'ConnectTimeout=10',
];

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], opts: { timeoutMs?: number; input?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    // A child that exits without reading its input closes the pipe first: EPIPE here is not the test's failure.
    p.stdin.on('error', () => {});
    p.stdin.end(opts.input ?? '');
  });
}

/** One `ssh` login with PASSWORD through sshpass; COMMAND is sent as exec. BIND picks the source address. */
export function sshWithPassword(port: number, user: string, password: string, command = 'true', bind?: string): Promise<RunResult> {
  const bindArgs = bind ? ['-b', bind] : [];
  return run('sshpass', ['-p', password, 'ssh', ...SSH_OPTS, ...bindArgs, '-p', String(port), `${user}@127.0.0.1`, command], { timeoutMs: 30_000 });
}
