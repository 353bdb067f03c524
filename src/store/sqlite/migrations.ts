// SQLite schema migrations, applied in order; PRAGMA user_version records how many have run.

export const SQLITE_MIGRATIONS: readonly string[] = [
  `CREATE TABLE events (
     id TEXT NOT NULL PRIMARY KEY,
     time TEXT NOT NULL,
     type TEXT NOT NULL,
     sensor TEXT NOT NULL,
     session TEXT NOT NULL,
     protocol TEXT NOT NULL,
     src_ip TEXT NOT NULL,
     src_port INTEGER NOT NULL,
     dst_ip TEXT NOT NULL,
     dst_port INTEGER NOT NULL,
     payload TEXT NOT NULL
   ) WITHOUT ROWID;
   CREATE INDEX events_time ON events(time);
   CREATE INDEX events_type_time ON events(type, time);
   CREATE INDEX events_src_time ON events(src_ip, time);
   CREATE INDEX events_session ON events(session, id);`,
  // Imported events keep their original record (JSON) beside the payload; NULL for live events.
  `ALTER TABLE events ADD COLUMN source TEXT;`,
];
