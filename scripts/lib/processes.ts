import { readdir, readFile } from "node:fs/promises";

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces). */
async function statFields(pid: number | string): Promise<{ comm: string; fields: string[] }> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  return {
    comm: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")),
    fields: stat.slice(stat.lastIndexOf(")") + 2).split(" "),
  };
}

/** CPU seconds (user + system) a live process has used. */
export async function cpuSeconds(pid: number): Promise<number> {
  const { fields } = await statFields(pid);
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** CPU seconds a live process has used in user space and in the kernel (syscalls: disk, sockets). */
export async function cpuSecondsByMode(pid: number): Promise<{ user: number; system: number }> {
  const { fields } = await statFields(pid);
  return {
    user: Number(fields[11]) / TICKS_PER_SECOND,
    system: Number(fields[12]) / TICKS_PER_SECOND,
  };
}

/** Child processes of `pid`, only those named `comm` when given. */
export async function childrenOf(pid: number, comm?: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await statFields(entry);
    if (Number(stat.fields[1]) === pid && (comm === undefined || stat.comm === comm))
      found.push(Number(entry));
  }
  return found;
}

/** Resident memory of a live process, MiB; undefined once it is gone. */
export async function rssMiB(pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  const kib = /VmRSS:\s+(\d+)/.exec(status)?.[1];
  return kib === undefined ? undefined : Number(kib) / 1024;
}
