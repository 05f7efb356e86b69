import { X509Certificate } from "node:crypto";
import { constants } from "node:fs";
import { access, link, open, readFile, rename, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import { certificateMatchesKey, readPrivateKey, writeNewKey } from "../pki/index.js";
import { writeFileAtomic } from "../util/files.js";

/** Where `camgate cert renew` asks the running agent to renew (beside the key, which it owns). */
export function renewRequestFile(keyFile: string): string {
  return `${keyFile}.renew`;
}

/** Where a renewal stands on disk, as found after a start (or a crash). */
export type IdentityState =
  /** Only the pair in use: nothing under way. */
  | { kind: "idle" }
  /** A next key waits for its certificate (its CSR goes again on every connect). */
  | { kind: "requested"; nextKeyPem: string }
  /** The new pair is in place; the old one is kept until the new one has connected. */
  | { kind: "confirming" };

async function exists(path: string): Promise<boolean> {
  return readFile(path).then(
    () => true,
    (error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw error;
    },
  );
}

async function unlinkIfPresent(path: string): Promise<void> {
  await unlink(path).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  });
}

/** A rename or unlink is durable once the directory holding it is synced. */
async function syncDirectory(path: string): Promise<void> {
  const handle = await open(dirname(path), "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function matches(certPem: string, keyPem: string): boolean {
  try {
    return certificateMatchesKey(new X509Certificate(certPem), keyPem);
  } catch {
    return false;
  }
}

/**
 * The box's key and certificate files (`uplink.key`, `uplink.cert`) through a renewal. Beside
 * them: `<key>.next` (the new key, 0600, made before the CSR), `<cert>.next` (the certificate
 * for it, once checked), and `<key>.old` / `<cert>.old` (hard links to the pair replaced, kept
 * until the new pair has connected). The swap is: link the old pair, rename the new certificate
 * over the old, rename the new key over the old, each step synced; `recover()` finishes a swap
 * that a crash cut short, so a restart always finds a pair that belongs together.
 */
export class IdentityFiles {
  readonly nextKey: string;
  readonly nextCert: string;
  readonly oldKey: string;
  readonly oldCert: string;

  constructor(
    readonly key: string,
    readonly cert: string,
  ) {
    this.nextKey = `${key}.next`;
    this.nextCert = `${cert}.next`;
    this.oldKey = `${key}.old`;
    this.oldCert = `${cert}.old`;
  }

  async readCertificate(): Promise<string> {
    return readFile(this.cert, "utf8");
  }

  async readKey(): Promise<string> {
    return readPrivateKey(this.key);
  }

  /** Brings the files to a state a start can use, finishing a swap a crash interrupted. */
  async recover(): Promise<IdentityState> {
    if (await exists(this.nextKey)) {
      const nextKeyPem = await readPrivateKey(this.nextKey);
      const nextCert = await readFile(this.nextCert, "utf8").catch(() => undefined);
      if (nextCert !== undefined && matches(nextCert, nextKeyPem)) {
        await this.swap(); // the certificate came and was checked: the swap had not begun
        return { kind: "confirming" };
      }
      await unlinkIfPresent(this.nextCert);
      if (matches(await this.readCertificate(), nextKeyPem)) {
        await this.#renameSynced(this.nextKey, this.key); // the crash fell between the renames
        return { kind: "confirming" };
      }
      return { kind: "requested", nextKeyPem };
    }
    if (await exists(this.oldKey)) {
      const keyPem = await this.readKey();
      if (!matches(await this.readCertificate(), keyPem)) {
        // A rollback was cut short between its renames: finish it.
        await this.#renameSynced(this.oldKey, this.key);
        await unlinkIfPresent(this.oldCert);
        return { kind: "idle" };
      }
      return { kind: "confirming" };
    }
    return { kind: "idle" };
  }

  /** The folders of the key and the certificate can take new files (renames happen in them). */
  async writable(): Promise<string | undefined> {
    for (const path of [this.key, this.cert]) {
      const ok = await access(dirname(path), constants.W_OK).then(
        () => true,
        () => false,
      );
      if (!ok) return dirname(path);
    }
    return undefined;
  }

  /** The new key, written 0600 and synced before its CSR leaves the box. */
  async writeNextKey(pem: string): Promise<void> {
    await writeNewKey(this.nextKey, pem);
    await syncDirectory(this.nextKey);
  }

  /** The checked certificate for the next key, synced: from here a restart completes the swap. */
  async writeNextCertificate(pem: string): Promise<void> {
    await writeFileAtomic(this.nextCert, pem);
    await syncDirectory(this.nextCert);
  }

  /** Puts the new pair in place, keeping the old pair as `.old`; `between` runs between renames. */
  async swap(between: () => void = () => undefined): Promise<void> {
    await unlinkIfPresent(this.oldKey);
    await unlinkIfPresent(this.oldCert);
    await link(this.key, this.oldKey);
    await link(this.cert, this.oldCert);
    await syncDirectory(this.key);
    await this.#renameSynced(this.nextCert, this.cert);
    between();
    await this.#renameSynced(this.nextKey, this.key);
  }

  /** The new pair has connected: the old key goes. */
  async confirm(): Promise<void> {
    await unlinkIfPresent(this.oldKey);
    await unlinkIfPresent(this.oldCert);
    await syncDirectory(this.key);
  }

  /** The new pair could not connect: the old pair comes back (certificate first, then key). */
  async rollback(): Promise<void> {
    await this.#renameSynced(this.oldCert, this.cert);
    await this.#renameSynced(this.oldKey, this.key);
  }

  /** A request given up: its key goes. */
  async abandon(): Promise<void> {
    await unlinkIfPresent(this.nextCert);
    await unlinkIfPresent(this.nextKey);
    await syncDirectory(this.nextKey);
  }

  async #renameSynced(from: string, to: string): Promise<void> {
    await rename(from, to);
    await syncDirectory(to);
  }
}
