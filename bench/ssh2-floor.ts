// The floor for the shell benchmark: a bare ssh2 server that accepts any password and answers every
// exec with exit status 0 and no output. Run as its own process; prints its port.
import ssh2 from 'ssh2';

const key = ssh2.utils.generateKeyPairSync('ed25519').private;
const server = new ssh2.Server({ hostKeys: [key] }, (client) => {
  client.on('authentication', (ctx) => (ctx.method === 'password' ? ctx.accept() : ctx.reject(['password'])));
  client.on('ready', () => {
    client.on('session', (accept) => {
      const s = accept();
      s.on('pty', (a) => a?.());
      s.on('exec', (a) => {
        const ch = a();
        ch.exit(0);
        ch.end();
      });
      s.on('shell', (a) => {
        const ch = a();
        ch.on('data', () => {});
      });
    });
  });
  client.on('error', () => {});
});
server.listen(0, '127.0.0.1', () => {
  const addr = server.address() as { port: number };
  process.stdout.write(`${addr.port}\n`);
});
// A normal exit on SIGTERM, so `node --cpu-prof` writes its profile when the benchmark stops it.
process.on('SIGTERM', () => process.exit(0));
