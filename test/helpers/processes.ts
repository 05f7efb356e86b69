import { readdir, readFile } from "node:fs/promises";

/**
 * The live child processes of this process (the agent under test runs in it) whose command line
 * matches `pattern`, read from /proc: what `ps --ppid` would list, zombies left out.
 */
export async function childProcesses(pattern: RegExp): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    // pid (comm) state ppid ...: comm may hold spaces and parentheses, so read after the last ')'.
    const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(ppid) !== process.pid || state === "Z") continue;
    const command = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (pattern.test(command.replaceAll("\0", " "))) found.push(Number(entry));
  }
  return found;
}
