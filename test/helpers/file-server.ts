// A tiny loopback HTTP server that serves fixed files (the "attacker's" download server in tests).
import { createServer, type Server } from 'node:http';

export interface FileServer {
  port: number;
  hits: string[];
  close(): Promise<void>;
}

export async function startFileServer(files: Record<string, Buffer | string>): Promise<FileServer> {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(req.url ?? '');
    const body = files[req.url ?? ''];
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    hits,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
