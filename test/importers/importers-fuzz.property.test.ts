// Whole importers over hostile files: random bytes, random JSON, Cowrie and Kippo lines with random
// fields. An import never throws; every record is either imported, reported as having no event, or
// skipped with a reason; and what it stores always passes the catalogue's validation.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { validateEvent, type ApiaryEvent } from '../../src/events/catalogue.js';
import { BatchWriter, type ImportRun } from '../../src/importers/core/import-core.js';
import { createImportRun, type ImportFormat } from '../../src/importers/importers.js';
import { removeScratch, scratchDir } from '../helpers/scratch.js';

after(removeScratch);

const dir = scratchDir('apiary-fuzz-');
let n = 0;

async function importText(format: ImportFormat, content: Buffer): Promise<ApiaryEvent[]> {
  const path = join(dir, `f${n++}`);
  writeFileSync(path, content);
  const got: ApiaryEvent[] = [];
  const writer = new BatchWriter(async (events) => {
    got.push(...events);
    return events.length;
  });
  const run: ImportRun = createImportRun(format, writer, { recordingsDir: join(dir, 'rec') });
  const report = await run.importFile(path);
  await run.finish();
  assert.equal(report.events, got.length);
  for (const e of got) assert.ok(validateEvent(JSON.parse(JSON.stringify(e))).ok, JSON.stringify(e));
  return got;
}

const cowrieIds = fc.constantFrom('cowrie.session.connect', 'cowrie.login.failed', 'cowrie.command.input', 'cowrie.command.failed', 'cowrie.client.kex', 'cowrie.client.version', 'cowrie.session.closed', 'cowrie.direct-tcpip.data', 'cowrie.session.file_download', 'cowrie.log.closed', 'COW0005', 'cowrie.nope');
const anyValue = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }));
const cowrieLine = fc
  .record({
    eventid: cowrieIds,
    timestamp: fc.oneof({ weight: 5, arbitrary: fc.date({ noInvalidDate: true, min: new Date('1990-01-01Z'), max: new Date('2090-01-01Z') }).map((d) => d.toISOString()) }, { weight: 1, arbitrary: fc.string() }),
    session: fc.oneof(fc.stringMatching(/^[0-9a-f]{8,12}$/), anyValue),
    src_ip: fc.oneof({ weight: 5, arbitrary: fc.ipV4() }, { weight: 1, arbitrary: anyValue }),
    src_port: anyValue,
    dst_port: anyValue,
    input: anyValue,
    duration: anyValue,
    hassh: anyValue,
    kexAlgs: anyValue,
    data: anyValue,
    shasum: anyValue,
    username: anyValue,
    password: anyValue,
  })
  .map((r) => JSON.stringify(r));
const kippoLine = fc
  .tuple(fc.constantFrom('2017-04-06 16:18:37-0700', '2018-03-12 09:17:54+0000'), fc.constantFrom('[HoneyPotTransport,3,192.0.2.1]', '[-]', '[SSHService ssh-userauth on HoneyPotTransport,4,192.0.2.2]'), fc.oneof(fc.string(), fc.constantFrom('CMD: ls', 'Command found: ls', 'connection lost', 'login attempt [a/b] failed', 'Terminal size: 24 80', "request_env: '\\x00'", 'Opening TTY log: x')))
  .map(([t, c, m]) => `${t} ${c} ${m}`);

test('importers never throw on hostile files, and store only valid events', async () => {
  let stored = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        // Random bytes for any importer.
        fc.tuple(fc.constantFrom<ImportFormat>('cowrie', 'kippo', 'dionaea'), fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b))),
        // Mostly the right kind of lines, with junk among them (after a first good line).
        ...(
          [
            ['cowrie', cowrieLine],
            ['kippo', kippoLine],
            ['dionaea', fc.json()],
          ] as const
        ).map(([format, line]) =>
          fc.tuple(
            fc.constant<ImportFormat>(format),
            fc
              .tuple(line, fc.array(fc.oneof({ weight: 6, arbitrary: line }, { weight: 1, arbitrary: fc.string() }, { weight: 1, arbitrary: fc.json() }), { maxLength: 25 }))
              .map(([first, rest]) => Buffer.from([first, ...rest].join('\n'))),
          ),
        ),
      ),
      async ([format, content]) => {
        stored += (await importText(format, content)).length;
      },
    ),
    { numRuns: 150 },
  );
  assert.ok(stored > 30, `the generated files must make events too (made ${stored})`);
});
