import { randomUUID } from "node:crypto";
import type { RemoteInfo, Socket } from "node:dgram";
import { NS, WSD_ANONYMOUS, WSD_MULTICAST, WSD_PROBE_MATCHES_ACTION } from "../onvif/namespaces.js";
import { child, descend, parseXml, resolveQName, textOf, type XmlElement } from "../onvif/xml.js";
import { bindUdp } from "../util/net.js";
import { deviceXAddr, onvifScopes, type SimCameraState } from "./camera-state.js";
import type { RequestJournal } from "./journal.js";

export interface Probe {
  messageId: string;
  matchesDevice: boolean;
  scopes: string[];
}

/** Reads a WS-Discovery Probe; undefined for anything else (including malformed datagrams). */
export function parseProbe(datagram: Buffer): Probe | undefined {
  let envelope: XmlElement;
  try {
    envelope = parseXml(datagram, { maxBytes: 64 * 1024, maxDepth: 16, maxElements: 256 });
  } catch {
    return undefined;
  }
  const probe = descend(envelope, [NS.soap12, "Body"], [NS.wsd, "Probe"]);
  const messageId = textOf(descend(envelope, [NS.soap12, "Header"], [NS.wsa, "MessageID"]));
  if (!probe || !messageId) return undefined;
  const typesElement = child(probe, NS.wsd, "Types");
  const types = (textOf(typesElement) ?? "").split(/\s+/).filter(Boolean);
  const matchesDevice =
    types.length === 0 ||
    types.some((type) => {
      const name = resolveQName(typesElement ?? probe, type);
      return (
        (name.ns === NS.dn && name.local === "NetworkVideoTransmitter") ||
        (name.ns === NS.tds && name.local === "Device")
      );
    });
  const scopes = (textOf(child(probe, NS.wsd, "Scopes")) ?? "").split(/\s+/).filter(Boolean);
  return { messageId, matchesDevice, scopes };
}

function probeMatches(
  state: SimCameraState,
  relatesTo: string,
  messageNumber: number,
  instanceId: number,
): string {
  const escape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<s:Envelope xmlns:s="${NS.soap12}" xmlns:a="${NS.wsa}" ` +
    `xmlns:d="${NS.wsd}" xmlns:dn="${NS.dn}" xmlns:tds="${NS.tds}"><s:Header>` +
    `<a:MessageID>urn:uuid:${randomUUID()}</a:MessageID><a:RelatesTo>${escape(relatesTo)}</a:RelatesTo>` +
    `<a:To>${WSD_ANONYMOUS}</a:To><a:Action>${WSD_PROBE_MATCHES_ACTION}</a:Action>` +
    `<d:AppSequence InstanceId="${instanceId}" MessageNumber="${messageNumber}"/></s:Header>` +
    `<s:Body><d:ProbeMatches><d:ProbeMatch><a:EndpointReference><a:Address>${state.identity.urn}</a:Address>` +
    `</a:EndpointReference><d:Types>dn:NetworkVideoTransmitter tds:Device</d:Types>` +
    `<d:Scopes>${onvifScopes(state).map(escape).join(" ")}</d:Scopes>` +
    `<d:XAddrs>${escape(deviceXAddr(state))}</d:XAddrs><d:MetadataVersion>1</d:MetadataVersion>` +
    `</d:ProbeMatch></d:ProbeMatches></s:Body></s:Envelope>`
  );
}

function closeUdp(socket: Socket | undefined): Promise<void> {
  return new Promise((resolve) => (socket ? socket.close(() => resolve()) : resolve()));
}

/** One camera's WS-Discovery endpoint: answers unicast Probes, and multicast ones handed to it. */
export class DiscoveryResponder {
  #socket: Socket | undefined;
  #messageNumber = 0;
  readonly #instanceId = Math.floor(Date.now() / 1000);

  constructor(
    private readonly state: SimCameraState,
    private readonly port: number,
    private readonly journal: RequestJournal,
  ) {}

  async start(): Promise<void> {
    const socket = await bindUdp(this.port, this.state.host, true);
    socket.on("message", (datagram, remote) => this.answer(datagram, remote));
    socket.on("error", () => undefined);
    this.#socket = socket;
  }

  async stop(): Promise<void> {
    await closeUdp(this.#socket);
    this.#socket = undefined;
  }

  /** Replies from this camera's own address, as a device on the LAN would. */
  answer(datagram: Buffer, remote: RemoteInfo): void {
    const socket = this.#socket;
    const probe = parseProbe(datagram);
    if (!socket || !probe) return;
    const scopes = onvifScopes(this.state);
    const scoped = probe.scopes.every((wanted) => scopes.some((scope) => scope.startsWith(wanted)));
    const matched = probe.matchesDevice && scoped;
    this.journal.record({
      protocol: "wsd",
      operation: "Probe",
      user: null,
      authenticated: false,
      outcome: matched ? "ProbeMatches" : "no match",
      remote: remote.address,
    });
    if (!matched) return;
    const reply = Buffer.from(
      probeMatches(this.state, probe.messageId, ++this.#messageNumber, this.#instanceId),
    );
    socket.send(reply, remote.port, remote.address);
  }
}

/**
 * The simulator's single socket on the WS-Discovery multicast group (on loopback); it hands every
 * datagram to each running camera, which answers from its own unicast socket.
 */
export class MulticastProbeListener {
  #socket: Socket | undefined;

  constructor(
    private readonly port: number,
    private readonly responders: () => Iterable<DiscoveryResponder>,
  ) {}

  async start(): Promise<void> {
    // Bound to the group address, not 0.0.0.0: a unicast probe to an address where no camera
    // lives must go unanswered, not reach this socket and be answered by every camera.
    const socket = await bindUdp(this.port, WSD_MULTICAST.address, true);
    socket.addMembership(WSD_MULTICAST.address, "127.0.0.1");
    socket.on("message", (datagram, remote) => {
      for (const responder of this.responders()) responder.answer(datagram, remote);
    });
    socket.on("error", () => undefined);
    this.#socket = socket;
  }

  async stop(): Promise<void> {
    await closeUdp(this.#socket);
    this.#socket = undefined;
  }
}
