import { link, mkdir, open, rename, rm, unlink } from "node:fs/promises";
import { join } from "node:path";

/**
 * A worker's own folder for the temporary files of its atomic writes, inside the output
 * directory (so on its filesystem: rename and link need that). Only this worker writes there, so
 * it empties the folder when it starts: what a killed run left half-written goes.
 */
export class Scratch {
  #next = 0;

  constructor(readonly dir: string) {}

  async clear(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
    await mkdir(this.dir, { recursive: true });
  }

  /** Replaces `path` with `data` so a reader sees the old or the new file, never half of one. */
  async writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
    const temp = await this.#written(data);
    try {
      await rename(temp, path);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
  }

  /** Creates `path` with `data` only if it does not exist yet (link(2)); false if it did. */
  async createExclusive(path: string, data: string | Uint8Array): Promise<boolean> {
    const temp = await this.#written(data);
    try {
      await link(temp, path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
      throw error;
    } finally {
      await unlink(temp);
    }
  }

  async #written(data: string | Uint8Array): Promise<string> {
    const temp = join(this.dir, `${process.pid}-${this.#next++}.tmp`);
    const handle = await open(temp, "wx", 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return temp;
  }
}
