import { randomUUID } from "node:crypto";
import type { Socket } from "node:dgram";
import { networkInterfaces } from "node:os";
import { NS, WSD_MULTICAST, WSD_PROBE_ACTION } from "../onvif/namespaces.js";
import { bindUdp } from "../util/net.js";
import { decodeScopes, type DecodedScopes } from "./extract.js";
import { chooseXAddr, mayAnswerProbe, parseProbeMatches } from "./probe-matches.js";

export interface DiscoveredDevice {
  urn: string;
  /** Addresses the answers came from. */
  addresses: string[];
  xaddrs: string[];
  /** The XAddr to talk to: an IPv4 one, pointed at the address that answered. */
  xaddr: string | undefined;
  types: string[];
  scopes: DecodedScopes;
  errors: string[];
}

export interface DiscoveryOptions {
  /** Interface names to probe by multicast; empty: every IPv4 interface that is up. */
  interfaces?: readonly string[];
  cidrs?: readonly string[];
  timeoutMs: number;
  /** Unicast probes sent per batch. */
  concurrency?: number;
  multicast?: boolean;
  port?: number;
  onDevice?: (device: DiscoveredDevice) => void;
  signal?: AbortSignal;
}

export const MAX_SWEEP_ADDRESSES = 65_536;
/** Unusable answers reported one by one; the rest are counted (a flood must not fill memory). */
const MAX_ANSWER_WARNINGS = 32;
/** Devices one address may present (a flood of made-up answers from one source stops here). */
const MAX_DEVICES_PER_ADDRESS = 4;

function probe(messageId: string, typed: boolean): string {
  const types = typed ? "<d:Types>dn:NetworkVideoTransmitter</d:Types>" : "";
  return (
    `<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="${NS.soap12}" xmlns:a="${NS.wsa}" ` +
    `xmlns:d="${NS.wsd}" xmlns:dn="${NS.dn}"><s:Header><a:MessageID>${messageId}</a:MessageID>` +
    `<a:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To><a:Action>${WSD_PROBE_ACTION}</a:Action>` +
    `</s:Header><s:Body><d:Probe>${types}</d:Probe></s:Body></s:Envelope>`
  );
}

/** Every host address of an IPv4 CIDR (network and broadcast left out below /31). */
export function expandCidr(cidr: string): string[] {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr.trim());
  if (!match) throw new Error(`not an IPv4 CIDR: ${cidr}`);
  const octets = match.slice(1, 5).map(Number);
  const bits = Number(match[5]);
  if (octets.some((o) => o > 255) || bits > 32) throw new Error(`not an IPv4 CIDR: ${cidr}`);
  const size = 2 ** (32 - bits);
  if (size > MAX_SWEEP_ADDRESSES)
    throw new Error(`${cidr} has ${size} addresses; at most ${MAX_SWEEP_ADDRESSES} are swept`);
  const base =
    (((octets[0] ?? 0) << 24) >>> 0) +
    ((octets[1] ?? 0) << 16) +
    ((octets[2] ?? 0) << 8) +
    (octets[3] ?? 0);
  const network = base - (base % size);
  const [first, last] =
    size <= 2 ? [network, network + size - 1] : [network + 1, network + size - 2];
  const out: string[] = [];
  for (let value = first; value <= last; value++) {
    out.push([value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join("."));
  }
  return out;
}

/** IPv4 addresses of the interfaces to send multicast probes from. */
export function multicastSources(
  names: readonly string[] = [],
): { name: string; address: string }[] {
  const sources: { name: string; address: string }[] = [];
  for (const [name, addresses] of Object.entries(networkInterfaces())) {
    if (names.length > 0 && !names.includes(name)) continue;
    for (const info of addresses ?? [])
      if (info.family === "IPv4") sources.push({ name, address: info.address });
  }
  return sources;
}

/**
 * WS-Discovery of our own: a typed and an untyped Probe on the multicast group from every chosen
 * interface, plus unicast Probes to every address of the given CIDRs (for LANs that filter
 * multicast), collecting ProbeMatches until the timeout. Answers are matched on RelatesTo and
 * merged by EndpointReference, then MAC, then address.
 */
export async function discover(
  options: DiscoveryOptions,
): Promise<{ devices: DiscoveredDevice[]; warnings: string[] }> {
  const port = options.port ?? WSD_MULTICAST.port;
  const ids = [`urn:uuid:${randomUUID()}`, `urn:uuid:${randomUUID()}`] as const;
  const messages = [Buffer.from(probe(ids[0], true)), Buffer.from(probe(ids[1], false))];
  const devices = new Map<string, DiscoveredDevice>();
  const perAddress = new Map<string, number>();
  const warnings: string[] = [];
  let unusable = 0;
  const sockets: Socket[] = [];

  const onAnswer = (datagram: Buffer, from: string) => {
    if (!mayAnswerProbe(datagram, ids)) return;
    let parsed: ReturnType<typeof parseProbeMatches>;
    try {
      parsed = parseProbeMatches(datagram);
    } catch (error) {
      if (++unusable <= MAX_ANSWER_WARNINGS)
        warnings.push(`${from}: unusable ProbeMatches: ${(error as Error).message}`);
      return;
    }
    if (!parsed.relatesTo || !(ids as readonly string[]).includes(parsed.relatesTo)) return;
    for (const match of parsed.matches) {
      // A URN or a MAC is what a device claims; the address it answered from (and the service
      // address it gives) is what we saw. Cloned firmware gives many cameras one URN: each
      // address stays a device of its own, and one that answers each probe with another URN is
      // still one device.
      const key = `${from} ${match.xaddrs.join(" ")}`;
      const fromHere = perAddress.get(from) ?? 0;
      if (devices.has(key) || fromHere >= MAX_DEVICES_PER_ADDRESS) continue;
      perAddress.set(from, fromHere + 1);
      const scopes = decodeScopes(match.scopes);
      const device: DiscoveredDevice = {
        urn: match.urn,
        addresses: [from],
        xaddrs: match.xaddrs,
        xaddr: match.error ? undefined : chooseXAddr(match.xaddrs, from),
        types: match.types,
        scopes,
        errors: match.error ? [match.error] : [],
      };
      devices.set(key, device);
      options.onDevice?.(device);
    }
  };

  try {
    const unicast = await bindUdp(0);
    sockets.push(unicast);
    if (options.multicast !== false) {
      for (const source of multicastSources(options.interfaces)) {
        const socket = await bindUdp(0);
        socket.setMulticastInterface(source.address);
        socket.setMulticastTTL(1);
        sockets.push(socket);
      }
      if (sockets.length === 1 && options.interfaces?.length) {
        warnings.push(`no IPv4 interface named ${options.interfaces.join(", ")}`);
      }
    }
    for (const socket of sockets) {
      socket.on("message", (datagram, remote) => onAnswer(datagram, remote.address));
      socket.on("error", (error) => warnings.push(`socket: ${error.message}`));
    }
    for (const socket of sockets.slice(1)) {
      for (const message of messages) socket.send(message, port, WSD_MULTICAST.address);
    }
    const targets = (options.cidrs ?? []).flatMap(expandCidr);
    const batch = options.concurrency ?? 64;
    for (let index = 0; index < targets.length && !options.signal?.aborted; index += batch) {
      for (const address of targets.slice(index, index + batch))
        unicast.send(messages[0] as Buffer, port, address);
      // Yield between batches so answers are read while the sweep goes on.
      await new Promise((resolve) => setImmediate(resolve));
    }
    // The signal outlives the round (the discovery service's): the listener goes with it.
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, options.timeoutMs);
      options.signal?.addEventListener("abort", done, { once: true });
    });
  } finally {
    for (const socket of sockets) socket.close();
  }
  if (unusable > MAX_ANSWER_WARNINGS)
    warnings.push(`${unusable - MAX_ANSWER_WARNINGS} more unusable ProbeMatches not listed`);
  return { devices: [...devices.values()], warnings };
}
