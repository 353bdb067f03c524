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
  // Commit order and attack chains. seq numbers events in the order they were committed: every insert
  // takes its numbers from the one row of event_seq, whose row lock it holds until it commits, so
  // inserts commit in seq order and a reader that sees seq N has seen everything below it. Existing
  // events are numbered in id order, and the incident tracker's watermark (an event id until now)
  // becomes the seq of the last event it covered.
  `ALTER TABLE events ADD COLUMN seq bigint;
   UPDATE events AS e SET seq = o.n FROM (SELECT part, id, row_number() OVER (ORDER BY id) AS n FROM events) AS o
     WHERE e.part = o.part AND e.id = o.id;
   CREATE INDEX events_seq ON events (seq);
   CREATE TABLE event_seq (one boolean PRIMARY KEY DEFAULT true CHECK (one), last bigint NOT NULL);
   INSERT INTO event_seq (last) SELECT coalesce(max(seq), 0) FROM events;
   UPDATE tracker_state SET value = (SELECT coalesce(max(seq), 0)::text FROM events WHERE id <= tracker_state.value COLLATE "C")
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
