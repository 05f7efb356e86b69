import type { Database } from "better-sqlite3";
import { StatementCache } from "./statements.js";

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
  /** 'pending' until a technician approves the device: no credential, no recording before. */
  trust: CameraTrust;
  /** What an authenticated session read of the camera when it was approved. */
  pin: CameraPin | null;
  /** A claim on this camera's identity, or a mismatch with its pin, awaiting the technician. */
  identityIssue: IdentityIssue | null;
  /** For a pending device: the approved camera whose URN or MAC it claims. */
  claims: string | null;
}

export type CameraTrust = "pending" | "approved";

export interface CameraPin {
  address: string;
  serial: string | null;
  mac: string | null;
  /** SHA-256 of the camera's HTTPS certificate (DER), where it serves one, and on which port. */
  tlsFingerprint: string | null;
  httpsPort: number | null;
  pinnedMs: number;
}

export interface IdentityIssue {
  /**
   * claimed: another device says it is this camera (its URN or MAC) from another address;
   * mismatch: the device at the pinned address is not the one that was pinned.
   */
  kind: "claimed" | "mismatch";
  /** The address the claim or the mismatch was seen at. */
  address: string;
  /** What differs, in words for the technician. */
  detail: string;
  /** The pending device that made the claim. */
  claimant: string | null;
  sinceMs: number;
}

/** Columns the store and the technician own: discovery never overwrites them. */
type StoreOwned = "firstSeenMs" | "enabled" | "trust" | "pin" | "identityIssue" | "claims";

/** What discovery knows of a camera. */
export type CameraObservation = Omit<CameraRecord, StoreOwned>;

/** The part of a record that discovery may rewrite. */
export function observationOf(camera: CameraRecord): CameraObservation {
  const {
    firstSeenMs: _firstSeen,
    enabled: _enabled,
    trust: _trust,
    pin: _pin,
    identityIssue: _issue,
    claims: _claims,
    ...observation
  } = camera;
  return observation;
}

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
  trust: string;
  pin: string | null;
  identity_issue: string | null;
  claims: string | null;
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
    trust: row.trust === "approved" ? "approved" : "pending",
    pin: row.pin === null ? null : (JSON.parse(row.pin) as CameraPin),
    identityIssue:
      row.identity_issue === null ? null : (JSON.parse(row.identity_issue) as IdentityIssue),
    claims: row.claims,
  };
}

export class CameraRepository {
  /** For the reads the uplink and the forwarder make on every pick and every message. */
  readonly #sql: StatementCache;

  constructor(private readonly db: Database) {
    this.#sql = new StatementCache(db);
  }

  /**
   * Inserts a new camera (pending unless `insert` says otherwise) or refreshes a known one,
   * keeping what the store owns: first-seen time, enabled flag, trust, pin and identity issue.
   */
  upsert(
    camera: CameraObservation,
    insert: { trust?: CameraTrust; claims?: string | null } = {},
  ): CameraRecord {
    this.db
      .prepare(
        `INSERT INTO cameras (id, urn, mac, ip, xaddrs, manufacturer, model, firmware, serial,
           hardware, name, profiles, clock_offset_ms, first_seen_ms, last_seen_ms, reachable,
           trust, claims)
         VALUES (@id, @urn, @mac, @ip, @xaddrs, @manufacturer, @model, @firmware, @serial,
           @hardware, @name, @profiles, @clockOffsetMs, @lastSeenMs, @lastSeenMs, @reachable,
           @trust, @claims)
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
        trust: insert.trust ?? "pending",
        claims: insert.claims ?? null,
      });
    const stored = this.get(camera.id);
    if (!stored) throw new Error(`camera ${camera.id} vanished after upsert`);
    return stored;
  }

  get(id: string): CameraRecord | undefined {
    const row = this.#sql.get("SELECT * FROM cameras WHERE id = ?").get(id) as
      CameraRow | undefined;
    return row && fromRow(row);
  }

  /**
   * Every camera that claims this URN or this MAC (both are claims a device makes about itself;
   * several devices may make the same one), approved ones first.
   */
  findClaimants(identity: { urn?: string | null; mac?: string | null }): CameraRecord[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM cameras WHERE (urn IS NOT NULL AND urn = ?) OR (mac IS NOT NULL AND mac = ?)
         ORDER BY trust = 'approved' DESC, first_seen_ms, id`,
      )
      .all(identity.urn ?? null, identity.mac?.toLowerCase() ?? null) as CameraRow[];
    return rows.map(fromRow);
  }

  /** Cameras by trust (all without a filter); `enabledOnly` keeps the enabled approved ones. */
  list(options: { enabledOnly?: boolean; trust?: CameraTrust } = {}): CameraRecord[] {
    const trust = options.enabledOnly ? "approved" : options.trust;
    const where = [
      ...(options.enabledOnly ? ["enabled = 1"] : []),
      ...(trust ? ["trust = @trust"] : []),
    ];
    const sql = `SELECT * FROM cameras ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id`;
    return (this.#sql.get(sql).all(trust ? { trust } : {}) as CameraRow[]).map(fromRow);
  }

  count(trust?: CameraTrust): number {
    const row = (
      trust
        ? this.db.prepare("SELECT count(*) AS n FROM cameras WHERE trust = ?").get(trust)
        : this.db.prepare("SELECT count(*) AS n FROM cameras").get()
    ) as { n: number };
    return row.n;
  }

  /** Approves a camera and pins it to what an authenticated session read of it. */
  approve(id: string, pin: CameraPin | null): boolean {
    return (
      this.db
        .prepare(
          `UPDATE cameras SET trust = 'approved', pin = ?, identity_issue = NULL, claims = NULL
           WHERE id = ?`,
        )
        .run(pin === null ? null : JSON.stringify(pin), id).changes === 1
    );
  }

  setPin(id: string, pin: CameraPin): void {
    this.db.prepare("UPDATE cameras SET pin = ? WHERE id = ?").run(JSON.stringify(pin), id);
  }

  setIdentityIssue(id: string, issue: IdentityIssue | null): void {
    this.db
      .prepare("UPDATE cameras SET identity_issue = ? WHERE id = ?")
      .run(issue === null ? null : JSON.stringify(issue), id);
  }

  /** Forgets pending devices not seen since `beforeMs`; returns their ids. */
  removeStalePending(beforeMs: number): string[] {
    const rows = this.db
      .prepare("DELETE FROM cameras WHERE trust = 'pending' AND last_seen_ms < ? RETURNING id")
      .all(beforeMs) as { id: string }[];
    return rows.map((row) => row.id);
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
