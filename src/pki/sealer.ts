import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { mkdir, readFile, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { createFileExclusive } from "../util/files.js";
import { KeyFileError, UnsealError } from "./errors.js";

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const PREFIX = "cgs1:";

/** Refuses a key file that anyone but its owner can read or write. */
export async function assertPrivateFile(path: string): Promise<void> {
  const info = await stat(path);
  if (!info.isFile()) throw new KeyFileError(`${path} is not a regular file`);
  if ((info.mode & 0o077) !== 0) {
    const mode = (info.mode & 0o777).toString(8).padStart(4, "0");
    throw new KeyFileError(
      `${path} has mode ${mode}; key files must not be accessible to group or others (chmod 600 ${path})`,
    );
  }
}

/** Each key file that exists must be private; run before anything starts (one may not exist yet). */
export async function assertPrivateFiles(paths: readonly (string | undefined)[]): Promise<void> {
  for (const path of paths) {
    if (path === undefined) continue;
    await assertPrivateFile(path).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    });
  }
}

/**
 * Seals small secrets (camera credentials) with AES-256-GCM under a key kept in its own file,
 * outside the database. The context (for example the camera id) is bound as associated data,
 * so a sealed value copied to another row does not open there.
 */
export class SecretSealer {
  readonly #key: Buffer;

  private constructor(key: Buffer) {
    this.#key = key;
  }

  /** Loads the key file, creating it (0600, parent 0700) on first use. */
  static async open(keyFile: string): Promise<SecretSealer> {
    try {
      await mkdir(dirname(keyFile), { recursive: true, mode: 0o700 });
      await createFileExclusive(keyFile, randomBytes(KEY_BYTES), 0o600).catch((error: unknown) => {
        throw new KeyFileError(`cannot create key file ${keyFile}`, { cause: error });
      });
      await assertPrivateFile(keyFile);
      const key = await readFile(keyFile);
      if (key.length !== KEY_BYTES) {
        throw new KeyFileError(
          `${keyFile} holds ${key.length} bytes; a sealing key is ${KEY_BYTES}`,
        );
      }
      return new SecretSealer(key);
    } catch (error) {
      if (error instanceof KeyFileError) throw error;
      throw new KeyFileError(`cannot load sealing key ${keyFile}`, { cause: error });
    }
  }

  seal(plaintext: string | Uint8Array, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.#key, iv);
    cipher.setAAD(Buffer.from(context, "utf8"));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64");
  }

  unseal(sealed: string, context: string): Buffer {
    if (!sealed.startsWith(PREFIX)) throw new UnsealError("not a sealed value (unknown format)");
    const raw = Buffer.from(sealed.slice(PREFIX.length), "base64");
    if (raw.length < IV_BYTES + TAG_BYTES) throw new UnsealError("sealed value is truncated");
    const decipher = createDecipheriv("aes-256-gcm", this.#key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(context, "utf8"));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
    } catch (error) {
      throw new UnsealError(
        "sealed value failed authentication: it was altered, or sealed under another key or context",
        { cause: error },
      );
    }
  }

  unsealText(sealed: string, context: string): string {
    return this.unseal(sealed, context).toString("utf8");
  }
}
