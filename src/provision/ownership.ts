import { chown, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { CamgateError } from "../errors.js";

export class ServiceAccountError extends CamgateError {}

export interface ServiceAccount {
  name: string;
  uid: number;
  gid: number;
}

/** The account from /etc/passwd (Node has no getpwnam); undefined when there is none. */
export async function findAccount(
  name: string,
  passwd = "/etc/passwd",
): Promise<ServiceAccount | undefined> {
  const text = await readFile(passwd, "utf8").catch(() => "");
  for (const line of text.split("\n")) {
    const [user, , uid, gid] = line.split(":");
    if (user === name && uid !== undefined && gid !== undefined)
      return { name, uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

async function chownTree(path: string, uid: number, gid: number): Promise<void> {
  await chown(path, uid, gid);
  const entries = await readdir(path, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) await chownTree(child, uid, gid);
    else if (!entry.isSymbolicLink()) await chown(child, uid, gid);
  }
}

/**
 * Provisioning runs as root (it writes /etc/camgate and restarts the service); the agent runs as
 * the service account. Its data directory becomes the account's, and the config files root's
 * with the account's group, so the agent reads them and cannot change them.
 */
export async function handOver(
  account: ServiceAccount,
  stateDir: string,
  configFiles: readonly string[],
): Promise<void> {
  try {
    await chownTree(stateDir, account.uid, account.gid);
    for (const file of configFiles) await chown(file, 0, account.gid);
  } catch (error) {
    throw new ServiceAccountError(`cannot hand the files over to ${account.name}`, {
      cause: error,
    });
  }
}
