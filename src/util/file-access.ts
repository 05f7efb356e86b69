import { constants } from "node:fs";
import { access, readFile, stat } from "node:fs/promises";
import { userInfo } from "node:os";
import { dirname, resolve } from "node:path";

/** Names of ids from /etc/passwd or /etc/group (Node has no getpwuid); the number when unknown. */
async function namesById(file: string): Promise<Map<number, string>> {
  const text = await readFile(file, "utf8").catch(() => "");
  const names = new Map<number, string>();
  for (const line of text.split("\n")) {
    const [name, , id] = line.split(":");
    if (name && id !== undefined && !names.has(Number(id))) names.set(Number(id), name);
  }
  return names;
}

/** The user this process runs as, by name when it has one. */
export function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? "?"}`;
  }
}

/** "only by root", "by root and group camgate", "by everyone": who the mode lets read (or enter) `path`. */
async function whoMay(path: string, bits: { owner: number; group: number; other: number }) {
  const info = await stat(path);
  const users = await namesById("/etc/passwd");
  const groups = await namesById("/etc/group");
  const owner = users.get(info.uid) ?? `uid ${info.uid}`;
  const group = groups.get(info.gid) ?? `gid ${info.gid}`;
  const mode = (info.mode & 0o777).toString(8).padStart(4, "0");
  let who: string;
  if (info.mode & bits.other) who = "by everyone";
  else {
    const names = new Set(["root"]);
    if (info.mode & bits.owner) names.add(owner);
    const list = [...names].join(" and ");
    who = info.mode & bits.group ? `by ${list} and group ${group}` : `only by ${list}`;
  }
  return { who, detail: `owner ${owner}, group ${group}, mode ${mode}` };
}

/**
 * Why this process cannot read `path`, in a sentence naming the file (or the directory that
 * keeps it out) and who may; undefined when it can read it.
 */
export async function whyUnreadable(path: string): Promise<string | undefined> {
  const user = currentUser();
  try {
    await access(path, constants.R_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return `${path} does not exist`;
    if (code !== "EACCES") return `${path} cannot be read: ${(error as Error).message}`;
  }
  // A directory on the way that the user may not enter, else the file itself.
  const ancestors: string[] = [];
  for (let dir = dirname(resolve(path)); ; dir = dirname(dir)) {
    ancestors.unshift(dir);
    if (dir === dirname(dir)) break;
  }
  for (const dir of ancestors) {
    const entered = await access(dir, constants.X_OK).then(
      () => true,
      () => false,
    );
    if (entered) continue;
    const { who, detail } = await whoMay(dir, { owner: 0o100, group: 0o010, other: 0o001 });
    return `the directory ${dir} (${detail}) can be entered ${who}, not by ${user}`;
  }
  const { who, detail } = await whoMay(path, { owner: 0o400, group: 0o040, other: 0o004 });
  return `${path} (${detail}) can be read ${who}, not by ${user}`;
}

/** Whether this process may create or change files in `dir` (or create `dir` where it would go). */
export async function mayWriteIn(dir: string): Promise<boolean> {
  for (let current = resolve(dir); ; current = dirname(current)) {
    const exists = await stat(current).then(
      () => true,
      (error: NodeJS.ErrnoException) => error.code !== "ENOENT",
    );
    if (exists)
      return access(current, constants.W_OK | constants.X_OK).then(
        () => true,
        () => false,
      );
    if (current === dirname(current)) return false;
  }
}
