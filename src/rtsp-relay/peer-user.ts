import { readFile } from "node:fs/promises";

/** 127.0.0.1:8554 as /proc/net/tcp writes it: `0100007F:2162` (address in host byte order). */
export function procNetAddress(ipv4: string, port: number): string {
  const octets = ipv4.split(".").map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255))
    throw new RangeError(`not an IPv4 address: ${ipv4}`);
  const hex = [...octets]
    .reverse()
    .map((octet) => octet.toString(16).padStart(2, "0"))
    .join("");
  return `${hex}:${port.toString(16).padStart(4, "0")}`.toUpperCase();
}

/**
 * The uid owning the local end of a loopback TCP connection, from the kernel's socket table
 * (/proc/net/tcp): the socket whose local end is `peer` and whose remote end is `local`.
 * Undefined when no such socket is listed (the peer already closed).
 */
export function uidOfPeer(
  table: string,
  peer: { address: string; port: number },
  local: { address: string; port: number },
): number | undefined {
  const wantedLocal = procNetAddress(peer.address, peer.port);
  const wantedRemote = procNetAddress(local.address, local.port);
  for (const line of table.split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields[1] === wantedLocal && fields[2] === wantedRemote) {
      const uid = Number(fields[7]);
      return Number.isInteger(uid) ? uid : undefined;
    }
  }
  return undefined;
}

/**
 * Whether the process at the other end of a loopback connection runs as this process's user.
 * /proc/self/net/tcp, not /proc/net/tcp: the systemd unit's ProcSubset=pid hides the latter.
 */
export async function peerIsSameUser(
  peer: { address: string; port: number },
  local: { address: string; port: number },
  readTable: () => Promise<string> = () => readFile("/proc/self/net/tcp", "utf8"),
): Promise<boolean> {
  const uid = uidOfPeer(await readTable(), peer, local);
  return uid !== undefined && uid === process.getuid?.();
}
