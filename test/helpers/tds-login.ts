// A raw TDS client for flood tests: logs in with a LOGIN7 record (tedious's own encoder) from a chosen
// loopback address, then counts the server's answers while the test writes what it likes.
import { connect, type Socket } from 'node:net';
import { createRequire } from 'node:module';
import { waitFor } from './apiary-process.js';
import { decodeTdsMessage, encodePreloginResponse, encodeTdsMessage, parseServerVersion, PT_LOGIN7, PT_PRELOGIN, PT_SQL_BATCH } from '../../src/sensors/mssql/tds-codec.js';

const require = createRequire(import.meta.url);
const Login7Payload = require(require.resolve('tedious').replace(/tedious\.js$/, 'login7-payload.js')) as new (o: Record<string, unknown>) => Record<string, unknown> & { toBuffer(): Buffer };

/** Counts the whole TDS messages arriving on SOCK. */
function counter(sock: Socket): () => number {
  let buf = Buffer.alloc(0);
  let n = 0;
  sock.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    for (;;) {
      const r = decodeTdsMessage(buf);
      if (r.status !== 'ok') break;
      buf = buf.subarray(r.consumed);
      n++;
    }
  });
  return () => n;
}

/** Logs in as sa/123456 (TDS 7.4) from FROM; answers() counts the messages after the login's two. */
export async function rawLogin(port: number, from = '127.0.0.1'): Promise<{ sock: Socket; answers: () => number }> {
  const sock = connect({ port, host: '127.0.0.1', localAddress: from });
  sock.on('error', () => {});
  const count = counter(sock);
  const l = new Login7Payload({ tdsVersion: 0x74000004, packetSize: 4096, clientProgVer: 0, clientPid: 1, connectionId: 0, clientTimeZone: 0, clientLcid: 0x409 });
  Object.assign(l, { hostname: 'flood', userName: 'sa', password: '123456', appName: 'flood', serverName: '', language: '', database: '', libraryName: 'flood', clientId: Buffer.alloc(6) });
  sock.write(Buffer.concat([encodeTdsMessage(PT_PRELOGIN, encodePreloginResponse(parseServerVersion('11.0.0'), 0)), encodeTdsMessage(PT_LOGIN7, l.toBuffer())]));
  await waitFor(() => count() >= 2, 10_000);
  return { sock, answers: () => count() - 2 };
}

/** A SQL batch message for TDS 7.2+: ALL_HEADERS of its length field only, then the UCS-2 text. */
export function sqlBatch(text: string): Buffer {
  const headers = Buffer.alloc(4);
  headers.writeUInt32LE(4, 0);
  return encodeTdsMessage(PT_SQL_BATCH, Buffer.concat([headers, Buffer.from(text, 'utf16le')]));
}
