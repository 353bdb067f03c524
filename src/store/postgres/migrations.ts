// PostgreSQL schema migrations, applied in order inside one transaction each; the table
// apiary_schema records how many have run. Append new entries; never edit an old one.
//
// Events are partitioned by range of `part`: the first day of the period (day or month) of the
// event's time. An event is immutable, so a redelivered event has the same time and therefore the
// same `part`: the primary key (part, id) makes ON CONFLICT DO NOTHING de-duplicate by event id
// across every partition. Times stay ISO 8601 text, compared bytewise (COLLATE "C") as in SQLite.

export const PG_MIGRATIONS: readonly string[] = [
  `CREATE TABLE events (
     part date NOT NULL,
     id text COLLATE "C" NOT NULL,
     time text COLLATE "C" NOT NULL,
     type text NOT NULL,
     sensor text NOT NULL,
     session text COLLATE "C" NOT NULL,
     protocol text NOT NULL,
     src_ip text NOT NULL,
     src_port integer NOT NULL,
     dst_ip text NOT NULL,
     dst_port integer NOT NULL,
     payload text NOT NULL,
     source text,
     PRIMARY KEY (part, id)
   ) PARTITION BY RANGE (part);
   CREATE INDEX events_time ON events (time);
   CREATE INDEX events_type_time ON events (type, time);
   CREATE INDEX events_src_time ON events (src_ip, time);
   CREATE INDEX events_session ON events (session, id);
   -- One row per partition made; dropped_at is set when retention removed it.
   CREATE TABLE event_partitions (part date PRIMARY KEY, upper date NOT NULL, name text NOT NULL, dropped_at text);
   -- Aggregates kept when retention drops a partition: events per day, sensor and type, and per source.
   CREATE TABLE event_daily (day text NOT NULL, sensor text NOT NULL, type text NOT NULL, events bigint NOT NULL, PRIMARY KEY (day, sensor, type));
   CREATE TABLE source_daily (day text NOT NULL, sensor text NOT NULL, src_ip text NOT NULL, events bigint NOT NULL, PRIMARY KEY (day, sensor, src_ip));
   CREATE TABLE ip_enrichment (
     ip text PRIMARY KEY,
     scope text NOT NULL,
     ignored boolean NOT NULL,
     country text,
     asn bigint,
     as_org text,
     site text,
     source text NOT NULL,
     enriched_at text NOT NULL
   );
   CREATE TABLE incidents (
     id text COLLATE "C" PRIMARY KEY,
     src_ip text NOT NULL,
     scope text NOT NULL,
     country text,
     first_seen text COLLATE "C" NOT NULL,
     last_seen text COLLATE "C" NOT NULL,
     kind text NOT NULL,
     severity text NOT NULL,
     status text NOT NULL DEFAULT 'new',
     notes text NOT NULL DEFAULT '[]',
     activity text NOT NULL,
     alerted_at text
   );
   CREATE INDEX incidents_src ON incidents (src_ip, first_seen);
   CREATE INDEX incidents_last ON incidents (last_seen);
   CREATE TABLE tracker_state (key text COLLATE "C" PRIMARY KEY, value text NOT NULL);`,
  // Commit order and attack chains. Each event keeps the id of the transaction that stored it (xid) and
  // a number within it (seq). A reader takes only rows whose xid is below its snapshot's xmin: every
  // transaction there has ended, so no row can still appear before the cursor, and inserts from several
  // collectors still run side by side. Existing events are numbered in id order (they share this
  // migration's xid), and the incident tracker's watermark (an event id until now) becomes the cursor
  // (xid and seq, 20 digits each) of the last event it covered.
  `ALTER TABLE events ADD COLUMN xid xid8;
   ALTER TABLE events ADD COLUMN seq bigint;
   UPDATE events AS e SET xid = pg_current_xact_id(), seq = o.n
     FROM (SELECT part, id, row_number() OVER (ORDER BY id) AS n FROM events) AS o WHERE e.part = o.part AND e.id = o.id;
   CREATE SEQUENCE events_seq;
   SELECT setval('events_seq', coalesce((SELECT max(seq) FROM events), 0) + 1, false);
   ALTER TABLE events ALTER COLUMN xid SET DEFAULT pg_current_xact_id();
   ALTER TABLE events ALTER COLUMN xid SET NOT NULL;
   ALTER TABLE events ALTER COLUMN seq SET DEFAULT nextval('events_seq');
   ALTER TABLE events ALTER COLUMN seq SET NOT NULL;
   CREATE INDEX events_commit ON events (xid, seq);
   UPDATE tracker_state SET value = (
       SELECT lpad(pg_current_xact_id()::text, 20, '0') || lpad(coalesce(max(seq), 0)::text, 20, '0') FROM events WHERE id <= tracker_state.value COLLATE "C")
     WHERE key = 'incidents.watermark';
   CREATE TABLE attacks (
     id text COLLATE "C" PRIMARY KEY,
     score integer NOT NULL,
     first_seen text COLLATE "C" NOT NULL,
     last_seen text COLLATE "C" NOT NULL,
     record text NOT NULL
   );
   CREATE INDEX attacks_rank ON attacks (score DESC, last_seen DESC);`,
];
