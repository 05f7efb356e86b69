import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import BetterSqlite3, { type Database } from "better-sqlite3";
import type { Component } from "../lifecycle/component.js";
import type { Logger } from "../log/index.js";
import { StoreClosedError, StoreError, StoreOpenError, StoreVersionError } from "./errors.js";
import { applyMigrations, LATEST_VERSION, schemaVersion } from "./migrations.js";
import { AccessLogRepository } from "./repositories/access-log.js";
import { AuditReportRepository } from "./repositories/audit-reports.js";
import { CameraSecretRepository, SiteSecretRepository } from "./repositories/camera-secrets.js";
import { CameraRepository } from "./repositories/cameras.js";
import { EventRepository } from "./repositories/events.js";
import { EventWindowRepository } from "./repositories/event-windows.js";
import { OutboxRepository } from "./repositories/outbox.js";
import { SegmentRepository } from "./repositories/segments.js";
import { VideoTransferRepository } from "./repositories/video-transfers.js";
import { CommandNonceRepository } from "./repositories/command-nonces.js";
import { type TransactionRunner, transactionRunner } from "./repositories/statements.js";

export interface Repositories {
  cameras: CameraRepository;
  cameraSecrets: CameraSecretRepository;
  siteSecrets: SiteSecretRepository;
  events: EventRepository;
  segments: SegmentRepository;
  outbox: OutboxRepository;
  auditReports: AuditReportRepository;
  accessLog: AccessLogRepository;
  videoTransfers: VideoTransferRepository;
  commandNonces: CommandNonceRepository;
  eventWindows: EventWindowRepository;
}

/**
 * SQLite's own page cache, KiB (a negative cache_size). better-sqlite3 builds SQLite with 16 MiB,
 * which the agent fills as the index grows and never gives back; pages past this come from the
 * kernel's page cache, which the box can reclaim. SQLite's stock default.
 */
const PAGE_CACHE_KIB = 2048;

const UNUSABLE_FILE_CODES = new Set([
  "SQLITE_NOTADB",
  "SQLITE_CORRUPT",
  "SQLITE_CANTOPEN",
  "SQLITE_READONLY",
  "SQLITE_IOERR",
  "SQLITE_PERM",
  "SQLITE_AUTH",
]);

/**
 * The single SQLite database: inventory, credentials (sealed), segment index, outbox, audit
 * reports, access log, events. CLI commands open it synchronously; the agent runs it as a component.
 */
export class Store implements Component {
  readonly name = "store";
  #db: Database | undefined;
  #repos: Repositories | undefined;
  #transaction: TransactionRunner | undefined;

  constructor(
    private readonly path: string,
    private readonly logger: Logger,
  ) {}

  open(): Repositories {
    if (this.#repos) return this.#repos;
    let db: Database | undefined;
    try {
      if (this.path !== ":memory:") mkdirSync(dirname(this.path), { recursive: true, mode: 0o750 });
      db = new BetterSqlite3(this.path);
      db.pragma("journal_mode = WAL");
      // FULL: a power cut must not take back a segment row or an outbox message already committed.
      db.pragma("synchronous = FULL");
      db.pragma("foreign_keys = ON");
      db.pragma("busy_timeout = 5000");
      db.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
      const found = schemaVersion(db);
      if (found > LATEST_VERSION) {
        throw new StoreVersionError(
          `database ${this.path} has schema version ${found}, newer than this camgate understands ` +
            `(${LATEST_VERSION}); upgrade camgate or restore a backup`,
        );
      }
      const applied = applyMigrations(db);
      if (applied.length > 0) this.logger.info({ from: found, applied }, "database migrated");
    } catch (error) {
      db?.close();
      throw this.#explain(error);
    }
    this.#db = db;
    this.#transaction = transactionRunner(db);
    this.#repos = {
      cameras: new CameraRepository(db),
      cameraSecrets: new CameraSecretRepository(db),
      siteSecrets: new SiteSecretRepository(db),
      events: new EventRepository(db),
      segments: new SegmentRepository(db),
      outbox: new OutboxRepository(db),
      auditReports: new AuditReportRepository(db),
      accessLog: new AccessLogRepository(db),
      videoTransfers: new VideoTransferRepository(db),
      commandNonces: new CommandNonceRepository(db),
      eventWindows: new EventWindowRepository(db),
    };
    return this.#repos;
  }

  get repos(): Repositories {
    if (!this.#repos) throw new StoreClosedError(`database ${this.path} is not open`);
    return this.#repos;
  }

  /** The raw connection, for transactions that span repositories. */
  get db(): Database {
    if (!this.#db) throw new StoreClosedError(`database ${this.path} is not open`);
    return this.#db;
  }

  /** Runs `work` in one transaction (a savepoint inside another), across repositories. */
  transaction<T>(work: () => T): T {
    if (!this.#transaction) throw new StoreClosedError(`database ${this.path} is not open`);
    return this.#transaction(work);
  }

  /**
   * Changes when another connection (a CLI command) commits to the database; the agent's own
   * writes leave it alone. Cheap enough to poll.
   */
  dataVersion(): number {
    return this.db.pragma("data_version", { simple: true }) as number;
  }

  async start(_signal: AbortSignal): Promise<void> {
    this.open();
  }

  async stop(): Promise<void> {
    this.close();
  }

  close(): void {
    const db = this.#db;
    this.#db = undefined;
    this.#repos = undefined;
    this.#transaction = undefined;
    if (db?.open) db.close();
  }

  #explain(error: unknown): Error {
    if (error instanceof StoreError) return error;
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string" && UNUSABLE_FILE_CODES.has(code)) {
      const what =
        code === "SQLITE_NOTADB" || code === "SQLITE_CORRUPT"
          ? "it is not a valid SQLite database (corrupt, or not camgate's)"
          : `${(error as Error).message} (${code})`;
      return new StoreOpenError(`cannot open database ${this.path}: ${what}`, { cause: error });
    }
    return new StoreOpenError(`cannot open database ${this.path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
