import { readFile } from "node:fs/promises";
import { hostname } from "node:os";

/** The box's identity for its CSR (serialNumber): the systemd machine id, else the hostname. */
export async function boxSerial(): Promise<string> {
  const id = await readFile("/etc/machine-id", "utf8").catch(() => "");
  return id.trim() || hostname();
}
