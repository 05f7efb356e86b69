import type { Database } from "better-sqlite3";

export interface CameraRecord {
  id: string;
  urn: string | null;
  mac: string | null;
  ip: string | null;
  xaddrs: string[];
  manufacturer: string | null;
  model: string | null;
  firmware: string | null;
  serial: string | null;
  hardware: string | null;
  name: string | null;
  profiles: unknown[];
  clockOffsetMs: number | null;
  firstSeenMs: number;
  lastSeenMs: number;
  reachable: boolean;
  enabled: boolean;
}

/** What discovery knows of a camera; first-seen time and the enabled flag are the store's. */
export type CameraObservation = Omit<CameraRecord, "firstSeenMs" | "enabled">;

interface CameraRow {
  id: string;
  urn: string | null;
  mac: string | null;
  ip: string | null;
  xaddrs: string;
  manufacturer: string | null;
  model: string | null;
  firmware: string | null;
  serial: string | null;
  hardware: string | null;
  name: string | null;
  profiles: string;
  clock_offset_ms: number | null;
  first_seen_ms: number;
  last_seen_ms: number;
  reachable: number;
  enabled: number;
}

function fromRow(row: CameraRow): CameraRecord {
  return {
    id: row.id,
    urn: row.urn,
    mac: row.mac,
    ip: row.ip,
    xaddrs: JSON.parse(row.xaddrs) as string[],
    manufacturer: row.manufacturer,
    model: row.model,
    firmware: row.firmware,
    serial: row.serial,
    hardware: row.hardware,
    name: row.name,
    profiles: JSON.parse(row.profiles) as unknown[],
    clockOffsetMs: row.clock_offset_ms,
    firstSeenMs: row.first_seen_ms,
    lastSeenMs: row.last_seen_ms,
    reachable: row.reachable === 1,
    enabled: row.enabled === 1,
  };
}

export class CameraRepository {
  constructor(private readonly db: Database) {}

  /** Inserts a new camera or refreshes a known one, keeping its first-seen time and enabled flag. */
  upsert(camera: CameraObservation): CameraRecord {
    this.db
      .prepare(
        `INSERT INTO cameras (id, urn, mac, ip, xaddrs, manufacturer, model, firmware, serial,
           hardware, name, profiles, clock_offset_ms, first_seen_ms, last_seen_ms, reachable)
         VALUES (@id, @urn, @mac, @ip, @xaddrs, @manufacturer, @model, @firmware, @serial,
           @hardware, @name, @profiles, @clockOffsetMs, @lastSeenMs, @lastSeenMs, @reachable)
         ON CONFLICT (id) DO UPDATE SET
           urn = excluded.urn, mac = excluded.mac, ip = excluded.ip, xaddrs = excluded.xaddrs,
           manufacturer = excluded.manufacturer, model = excluded.model,
           firmware = excluded.firmware, serial = excluded.serial, hardware = excluded.hardware,
           name = excluded.name, profiles = excluded.profiles,
           clock_offset_ms = excluded.clock_offset_ms, last_seen_ms = excluded.last_seen_ms,
           reachable = excluded.reachable`,
      )
      .run({
        ...camera,
        mac: camera.mac?.toLowerCase() ?? null,
        xaddrs: JSON.stringify(camera.xaddrs),
        profiles: JSON.stringify(camera.profiles),
        reachable: camera.reachable ? 1 : 0,
      });
    const stored = this.get(camera.id);
    if (!stored) throw new Error(`camera ${camera.id} vanished after upsert`);
    return stored;
  }

  get(id: string): CameraRecord | undefined {
    const row = this.db.prepare("SELECT * FROM cameras WHERE id = ?").get(id) as
      CameraRow | undefined;
    return row && fromRow(row);
  }

  /** The camera with this URN, else this MAC: how a camera that changed address is recognised. */
  findByIdentity(identity: { urn?: string | null; mac?: string | null }): CameraRecord | undefined {
    const row = (
      identity.urn
        ? this.db.prepare("SELECT * FROM cameras WHERE urn = ?").get(identity.urn)
        : undefined
    ) as CameraRow | undefined;
    if (row) return fromRow(row);
    if (!identity.mac) return undefined;
    const byMac = this.db
      .prepare("SELECT * FROM cameras WHERE mac = ? ORDER BY last_seen_ms DESC LIMIT 1")
      .get(identity.mac.toLowerCase()) as CameraRow | undefined;
    return byMac && fromRow(byMac);
  }

  list(options: { enabledOnly?: boolean } = {}): CameraRecord[] {
    const sql = options.enabledOnly
      ? "SELECT * FROM cameras WHERE enabled = 1 ORDER BY id"
      : "SELECT * FROM cameras ORDER BY id";
    return (this.db.prepare(sql).all() as CameraRow[]).map(fromRow);
  }

  setEnabled(id: string, enabled: boolean): boolean {
    return (
      this.db.prepare("UPDATE cameras SET enabled = ? WHERE id = ?").run(enabled ? 1 : 0, id)
        .changes === 1
    );
  }

  /** Removes the camera and its sealed credentials; its recorded segments stay until evicted. */
  remove(id: string): boolean {
    return this.db.prepare("DELETE FROM cameras WHERE id = ?").run(id).changes === 1;
  }
}
