// The floor for the SSH benchmark: a bare ssh2 server of a few lines that only rejects passwords.
// Sockets get setNoDelay(true) like Apiary's, so both pay the same per-packet cost.
// Run as: node dist/bench/bare-ssh2-server.js PORT KEYFILE...
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import ssh2 from 'ssh2';

const [port, ...keys] = process.argv.slice(2);
const server = new ssh2.Server({ hostKeys: keys.map((k) => readFileSync(k)) }, (client) => {
  client.on('authentication', (ctx) => ctx.reject(['password']));
  client.on('error', () => {});
});
createServer({ noDelay: true }, (socket) => server.injectSocket(socket)).listen(Number(port), '127.0.0.1', () => process.stdout.write('ready\n'));
// A normal exit on SIGTERM, so `node --cpu-prof` writes its profile when the benchmark stops it.
process.on('SIGTERM', () => process.exit(0));
