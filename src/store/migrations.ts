import type { Database } from "better-sqlite3";

export interface Migration {
  version: number;
  name: string;
  sql: string;
  /**
   * The migration rebuilds a table that others reference: foreign keys are off while it runs
   * (SQLite's documented way; inside a transaction the pragma would be ignored) and checked
   * before it commits.
   */
  rebuildsTables?: boolean;
}

/**
 * Numbered, append-only. A shipped migration is never edited: a change to the schema is a new
 * entry. Each one runs in its own transaction together with the user_version bump.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "inventory",
    sql: `
      CREATE TABLE cameras (
        id TEXT PRIMARY KEY,
        urn TEXT UNIQUE,
        mac TEXT,
        ip TEXT,
        xaddrs TEXT NOT NULL DEFAULT '[]',
        manufacturer TEXT,
        model TEXT,
        firmware TEXT,
        serial TEXT,
        hardware TEXT,
        name TEXT,
        profiles TEXT NOT NULL DEFAULT '[]',
        clock_offset_ms INTEGER,
        first_seen_ms INTEGER NOT NULL,
        last_seen_ms INTEGER NOT NULL,
        reachable INTEGER NOT NULL DEFAULT 1,
        enabled INTEGER NOT NULL DEFAULT 1
      ) STRICT;
      CREATE INDEX cameras_mac ON cameras (mac);
      CREATE TABLE camera_secrets (
        camera_id TEXT PRIMARY KEY REFERENCES cameras (id) ON DELETE CASCADE,
        sealed TEXT NOT NULL,
        updated_ms INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        ts_ms INTEGER NOT NULL,
        camera_id TEXT,
        kind TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT '{}'
      ) STRICT;
      CREATE INDEX events_ts ON events (ts_ms);
      CREATE INDEX events_camera_ts ON events (camera_id, ts_ms);
    `,
  },
  {
    version: 2,
    name: "recording",
    sql: `
      CREATE TABLE segments (
        id INTEGER PRIMARY KEY,
        camera_id TEXT NOT NULL,
        path TEXT NOT NULL UNIQUE,
        start_ms INTEGER NOT NULL,
        end_ms INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        sha256 TEXT,
        state TEXT NOT NULL
          CHECK (state IN ('recording', 'closed', 'forwarded', 'evicted', 'lost')),
        locked_until_ms INTEGER,
        forwarded_ms INTEGER
      ) STRICT;
      CREATE INDEX segments_camera_start ON segments (camera_id, start_ms);
      CREATE INDEX segments_state_start ON segments (state, start_ms);
    `,
  },
  {
    version: 3,
    name: "outbox",
    sql: `
      CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        topic TEXT NOT NULL,
        payload BLOB NOT NULL,
        qos INTEGER NOT NULL CHECK (qos IN (0, 1, 2)),
        retain INTEGER NOT NULL DEFAULT 0,
        priority INTEGER NOT NULL,
        properties TEXT,
        created_ms INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        expires_ms INTEGER
      ) STRICT;
      CREATE INDEX outbox_priority ON outbox (priority, id);
    `,
  },
  {
    version: 4,
    name: "audit-and-access",
    sql: `
      CREATE TABLE audit_reports (
        id INTEGER PRIMARY KEY,
        camera_id TEXT NOT NULL,
        baseline TEXT NOT NULL,
        started_ms INTEGER NOT NULL,
        finished_ms INTEGER NOT NULL,
        summary TEXT NOT NULL,
        report TEXT NOT NULL,
        signature TEXT
      ) STRICT;
      CREATE INDEX audit_reports_camera ON audit_reports (camera_id, finished_ms);
      CREATE TABLE access_log (
        seq INTEGER PRIMARY KEY,
        ts_ms INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        purpose TEXT,
        result TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT '{}',
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 5,
    name: "site-secrets",
    sql: `
      CREATE TABLE site_secrets (
        name TEXT PRIMARY KEY,
        sealed TEXT NOT NULL,
        updated_ms INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 6,
    name: "segment-usage",
    // Running totals kept by triggers, so quota checks and stats never sum a million rows.
    sql: `
      CREATE TABLE segment_usage (
        camera_id TEXT NOT NULL,
        state TEXT NOT NULL,
        segments INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        PRIMARY KEY (camera_id, state)
      ) STRICT, WITHOUT ROWID;
      INSERT INTO segment_usage (camera_id, state, segments, bytes)
        SELECT camera_id, state, count(*), sum(bytes) FROM segments GROUP BY camera_id, state;
      CREATE TRIGGER segments_usage_insert AFTER INSERT ON segments BEGIN
        INSERT INTO segment_usage (camera_id, state, segments, bytes)
          VALUES (NEW.camera_id, NEW.state, 1, NEW.bytes)
          ON CONFLICT (camera_id, state) DO UPDATE
            SET segments = segments + 1, bytes = bytes + excluded.bytes;
      END;
      CREATE TRIGGER segments_usage_delete AFTER DELETE ON segments BEGIN
        UPDATE segment_usage SET segments = segments - 1, bytes = bytes - OLD.bytes
          WHERE camera_id = OLD.camera_id AND state = OLD.state;
      END;
      CREATE TRIGGER segments_usage_update AFTER UPDATE OF camera_id, state, bytes ON segments BEGIN
        UPDATE segment_usage SET segments = segments - 1, bytes = bytes - OLD.bytes
          WHERE camera_id = OLD.camera_id AND state = OLD.state;
        INSERT INTO segment_usage (camera_id, state, segments, bytes)
          VALUES (NEW.camera_id, NEW.state, 1, NEW.bytes)
          ON CONFLICT (camera_id, state) DO UPDATE
            SET segments = segments + 1, bytes = bytes + excluded.bytes;
      END;
      CREATE INDEX segments_locked ON segments (locked_until_ms) WHERE locked_until_ms IS NOT NULL;
    `,
  },
  {
    version: 7,
    name: "outbox-ids-and-usage",
    // Message ids are never reused (AUTOINCREMENT), and the epoch tells this database's ids from
    // a reinstalled box's, so the center can de-duplicate by id. Totals are kept by triggers so
    // bounding the outbox never sums it; dropped messages are counted until reported upstream.
    sql: `
      CREATE TABLE outbox_new (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        topic TEXT NOT NULL,
        payload BLOB NOT NULL,
        qos INTEGER NOT NULL CHECK (qos IN (0, 1, 2)),
        retain INTEGER NOT NULL DEFAULT 0,
        priority INTEGER NOT NULL,
        properties TEXT,
        created_ms INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        expires_ms INTEGER
      ) STRICT;
      INSERT INTO outbox_new SELECT * FROM outbox;
      DROP TABLE outbox;
      ALTER TABLE outbox_new RENAME TO outbox;
      CREATE INDEX outbox_priority ON outbox (priority, id);
      CREATE INDEX outbox_topic ON outbox (topic) WHERE retain = 1;
      CREATE TABLE outbox_usage (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        epoch TEXT NOT NULL,
        messages INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        dropped_messages INTEGER NOT NULL DEFAULT 0,
        dropped_bytes INTEGER NOT NULL DEFAULT 0,
        dropped_first_ms INTEGER,
        dropped_last_ms INTEGER
      ) STRICT;
      INSERT INTO outbox_usage (id, epoch, messages, bytes)
        SELECT 1, lower(hex(randomblob(8))), count(*), coalesce(sum(length(payload)), 0) FROM outbox;
      CREATE TRIGGER outbox_usage_insert AFTER INSERT ON outbox BEGIN
        UPDATE outbox_usage SET messages = messages + 1, bytes = bytes + length(NEW.payload);
      END;
      CREATE TRIGGER outbox_usage_delete AFTER DELETE ON outbox BEGIN
        UPDATE outbox_usage SET messages = messages - 1, bytes = bytes - length(OLD.payload);
      END;
      -- How far each feed (events, segment index) has been copied into the outbox.
      CREATE TABLE uplink_cursors (feed TEXT PRIMARY KEY, last_id INTEGER NOT NULL) STRICT;
    `,
  },
  {
    version: 8,
    name: "video-upstream",
    // Transfer progress per segment (chunks the broker acknowledged), segments the center asked
    // for (held against eviction until sent), and the nonces of accepted commands until they
    // expire (replay protection).
    sql: `
      CREATE TABLE video_progress (
        segment_id INTEGER PRIMARY KEY,
        chunk_bytes INTEGER NOT NULL,
        acked_chunks INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE video_requests (
        segment_id INTEGER PRIMARY KEY,
        request TEXT NOT NULL,
        queued_ms INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX video_requests_queued ON video_requests (queued_ms, segment_id);
      CREATE TABLE command_nonces (
        nonce TEXT PRIMARY KEY,
        expires_ms INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX command_nonces_expiry ON command_nonces (expires_ms);
      CREATE INDEX segments_state_camera_start ON segments (state, camera_id, start_ms);
    `,
  },
  {
    version: 9,
    name: "camera-trust",
    // Devices on the camera LAN are untrusted until a technician approves them: a discovered
    // device is 'pending' (never sent a credential, never recorded). An approved camera is pinned
    // to what an authenticated session read of it (address, serial, MAC, HTTPS certificate); a
    // claim or a mismatch waits in identity_issue for the technician. The URN is a claim, not a
    // key: two devices may share one (cloned firmware), so it is no longer unique. Cameras that
    // were in the inventory before this version were in use: they stay approved.
    rebuildsTables: true,
    sql: `
      CREATE TABLE cameras_v9 (
        id TEXT PRIMARY KEY,
        urn TEXT,
        mac TEXT,
        ip TEXT,
        xaddrs TEXT NOT NULL DEFAULT '[]',
        manufacturer TEXT,
        model TEXT,
        firmware TEXT,
        serial TEXT,
        hardware TEXT,
        name TEXT,
        profiles TEXT NOT NULL DEFAULT '[]',
        clock_offset_ms INTEGER,
        first_seen_ms INTEGER NOT NULL,
        last_seen_ms INTEGER NOT NULL,
        reachable INTEGER NOT NULL DEFAULT 1,
        enabled INTEGER NOT NULL DEFAULT 1,
        trust TEXT NOT NULL DEFAULT 'pending' CHECK (trust IN ('pending', 'approved')),
        pin TEXT,
        identity_issue TEXT,
        claims TEXT
      ) STRICT;
      INSERT INTO cameras_v9 (id, urn, mac, ip, xaddrs, manufacturer, model, firmware, serial,
          hardware, name, profiles, clock_offset_ms, first_seen_ms, last_seen_ms, reachable,
          enabled, trust)
        SELECT id, urn, mac, ip, xaddrs, manufacturer, model, firmware, serial, hardware, name,
          profiles, clock_offset_ms, first_seen_ms, last_seen_ms, reachable, enabled, 'approved'
        FROM cameras;
      DROP TABLE cameras;
      ALTER TABLE cameras_v9 RENAME TO cameras;
      CREATE INDEX cameras_urn ON cameras (urn);
      CREATE INDEX cameras_mac ON cameras (mac);
      CREATE INDEX cameras_trust ON cameras (trust, last_seen_ms);
    `,
  },
  {
    version: 10,
    name: "command-outcomes",
    // A command re-sent with its nonce gets the reply it got the first time: the nonce keeps the
    // SHA-256 of the command (name and arguments) it was claimed by, and the reply (deflated)
    // once there is one. Replies are a convenience bounded in size; the nonces are not.
    sql: `
      ALTER TABLE command_nonces ADD COLUMN digest TEXT;
      ALTER TABLE command_nonces ADD COLUMN reply BLOB;
      ALTER TABLE command_nonces ADD COLUMN replied_ms INTEGER;
      CREATE INDEX command_nonces_replied ON command_nonces (replied_ms) WHERE reply IS NOT NULL;
    `,
  },
  {
    version: 11,
    name: "segment-media",
    // What each segment holds, read from the file itself (ffprobe): the video codec and picture
    // size, and the audio codec if audio is stored. NULL: not known (indexed before this
    // version, or ffprobe could not run). Eviction goes by id, the order segments were recorded
    // in, which a clock stepped back cannot reorder as it can start times.
    sql: `
      ALTER TABLE segments ADD COLUMN video_codec TEXT;
      ALTER TABLE segments ADD COLUMN width INTEGER;
      ALTER TABLE segments ADD COLUMN height INTEGER;
      ALTER TABLE segments ADD COLUMN audio_codec TEXT;
      CREATE INDEX segments_state_id ON segments (state, id);
    `,
  },
  {
    version: 12,
    name: "event-segments",
    // What camera events do to the video: the segments that cover each event (the one open at
    // its time, linked when it is indexed if it was still open), and the window of video around
    // each event (events.retain): held against eviction until hold_until_ms unless released to
    // keep holds within storage.maxLockedPercent, and sent first (forward: events). The links
    // and a new segment's hold are kept by triggers, so every insert (recorder, reconcile) gets
    // them in its own commit. A window is at most 1 h long (EVENT_WINDOW_MAX_MS): the windows
    // over a segment end within an hour of it, a short range of (camera_id, to_ms).
    sql: `
      CREATE TABLE event_segments (
        event_id INTEGER NOT NULL,
        segment_id INTEGER NOT NULL,
        PRIMARY KEY (event_id, segment_id)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX event_segments_segment ON event_segments (segment_id, event_id);
      CREATE TABLE event_windows (
        event_id INTEGER PRIMARY KEY,
        camera_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        from_ms INTEGER NOT NULL,
        to_ms INTEGER NOT NULL,
        hold_until_ms INTEGER,
        released_ms INTEGER,
        sent INTEGER NOT NULL DEFAULT 0
      ) STRICT;
      CREATE INDEX event_windows_camera ON event_windows (camera_id, to_ms);
      CREATE INDEX event_windows_held ON event_windows (event_id)
        WHERE hold_until_ms IS NOT NULL AND released_ms IS NULL;
      CREATE INDEX event_windows_unsent ON event_windows (from_ms) WHERE sent = 0;
      ALTER TABLE segments ADD COLUMN event_hold_until_ms INTEGER;
      CREATE INDEX segments_event_held ON segments (event_hold_until_ms)
        WHERE event_hold_until_ms IS NOT NULL;
      CREATE TRIGGER events_segment_links AFTER INSERT ON events
        WHEN NEW.camera_id IS NOT NULL AND NEW.kind IN
          ('motion', 'tamper', 'intrusion', 'line-crossing', 'digital-input', 'object', 'camera-other')
      BEGIN
        INSERT OR IGNORE INTO event_segments (event_id, segment_id)
          SELECT NEW.id, id FROM segments
          WHERE camera_id = NEW.camera_id AND start_ms <= NEW.ts_ms AND end_ms > NEW.ts_ms
            AND start_ms > NEW.ts_ms - 3600000 AND state IN ('recording', 'closed', 'forwarded');
      END;
      CREATE TRIGGER segments_event_links AFTER INSERT ON segments
        WHEN NEW.state IN ('recording', 'closed', 'forwarded')
      BEGIN
        INSERT OR IGNORE INTO event_segments (event_id, segment_id)
          SELECT id, NEW.id FROM events
          WHERE camera_id = NEW.camera_id AND ts_ms >= NEW.start_ms AND ts_ms < NEW.end_ms
            AND kind IN ('motion', 'tamper', 'intrusion', 'line-crossing', 'digital-input',
              'object', 'camera-other');
        UPDATE segments SET event_hold_until_ms = (
            SELECT max(hold_until_ms) FROM event_windows
            WHERE camera_id = NEW.camera_id AND to_ms > NEW.start_ms
              AND to_ms < NEW.end_ms + 3600000 AND from_ms < NEW.end_ms
              AND hold_until_ms IS NOT NULL AND released_ms IS NULL)
          WHERE id = NEW.id AND EXISTS (
            SELECT 1 FROM event_windows
            WHERE camera_id = NEW.camera_id AND to_ms > NEW.start_ms
              AND to_ms < NEW.end_ms + 3600000 AND from_ms < NEW.end_ms
              AND hold_until_ms IS NOT NULL AND released_ms IS NULL);
      END;
      CREATE TRIGGER events_segment_unlink AFTER DELETE ON events BEGIN
        DELETE FROM event_segments WHERE event_id = OLD.id;
      END;
      CREATE TRIGGER segments_event_unlink AFTER DELETE ON segments BEGIN
        DELETE FROM event_segments WHERE segment_id = OLD.id;
      END;
    `,
  },
];

export const LATEST_VERSION = MIGRATIONS.at(-1)?.version ?? 0;

export function schemaVersion(db: Database): number {
  return db.pragma("user_version", { simple: true }) as number;
}

function checkForeignKeys(db: Database, migration: Migration): void {
  const broken = db.pragma("foreign_key_check") as unknown[];
  if (broken.length > 0)
    throw new Error(
      `migration ${migration.version} (${migration.name}) left ${broken.length} broken references`,
    );
}

/** Applies every migration above the current version, up to `target`. Returns the versions applied. */
export function applyMigrations(db: Database, target = LATEST_VERSION): number[] {
  const applied: number[] = [];
  for (const migration of MIGRATIONS) {
    if (migration.version <= schemaVersion(db) || migration.version > target) continue;
    const foreignKeys = db.pragma("foreign_keys", { simple: true }) === 1;
    if (migration.rebuildsTables) db.pragma("foreign_keys = OFF");
    try {
      db.transaction(() => {
        db.exec(migration.sql);
        if (migration.rebuildsTables) checkForeignKeys(db, migration);
        db.pragma(`user_version = ${migration.version}`);
      })();
    } finally {
      if (migration.rebuildsTables && foreignKeys) db.pragma("foreign_keys = ON");
    }
    applied.push(migration.version);
  }
  return applied;
}
