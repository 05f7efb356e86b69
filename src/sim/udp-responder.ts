import type { Socket as UdpSocket } from "node:dgram";
import { decodeMessage, encodeGetResponse, PDU_GET_REQUEST, SYS_DESCR_OID } from "../util/snmp.js";
import { bindUdp } from "../util/net.js";
import type { SimCameraState } from "./camera-state.js";
import type { RequestJournal, SimProtocol } from "./journal.js";

const MAX_DATAGRAM = 1500;

/** Turns one datagram into the answer (or silence) and the journal's outcome. */
type Answer = (datagram: Buffer) => { reply?: Buffer; operation: string; outcome: string };

/** A UDP service of a weak camera (SNMP, SSDP) that answers single datagrams. */
export class UdpResponder {
  #socket: UdpSocket | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly protocol: SimProtocol,
    private readonly answer: Answer,
    private readonly journal: RequestJournal,
  ) {}

  async start(): Promise<void> {
    const socket = await bindUdp(this.port, this.host);
    socket.on("message", (datagram, remote) => {
      if (datagram.length > MAX_DATAGRAM) return;
      const { reply, operation, outcome } = this.answer(datagram);
      this.journal.record({
        protocol: this.protocol,
        operation,
        user: null,
        authenticated: false,
        outcome,
        remote: remote.address,
      });
      if (reply) socket.send(reply, remote.port, remote.address);
    });
    socket.on("error", () => undefined);
    this.#socket = socket;
  }

  async stop(): Promise<void> {
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}

/** SNMPv2c with the factory community "public": answers a GET of sysDescr, ignores the rest. */
export function snmpPublicAnswer(state: SimCameraState): Answer {
  return (datagram) => {
    try {
      const request = decodeMessage(datagram);
      const asked = request.varbinds[0]?.oid ?? "";
      if (request.community !== "public" || request.pduType !== PDU_GET_REQUEST)
        return { operation: `GET ${asked}`, outcome: "ignored" };
      const text = `${state.identity.model} ${state.identity.firmwareVersion}`;
      return {
        reply: encodeGetResponse("public", request.requestId, SYS_DESCR_OID, text),
        operation: `GET ${asked}`,
        outcome: "served",
      };
    } catch {
      return { operation: "(malformed)", outcome: "ignored" };
    }
  };
}

/** UPnP: a unicast M-SEARCH gets the root-device answer. */
export function ssdpAnswer(state: SimCameraState): Answer {
  return (datagram) => {
    if (!datagram.toString("latin1").startsWith("M-SEARCH * HTTP/1.1"))
      return { operation: "(not M-SEARCH)", outcome: "ignored" };
    const reply = [
      "HTTP/1.1 200 OK",
      "CACHE-CONTROL: max-age=1800",
      "ST: upnp:rootdevice",
      `USN: uuid:${state.identity.urn.replace(/^urn:uuid:/, "")}::upnp:rootdevice`,
      `SERVER: Linux/3.10 UPnP/1.0 ${state.identity.model}/${state.identity.firmwareVersion}`,
      `LOCATION: http://${state.host}:${state.ports.http}/upnp/device.xml`,
      "",
      "",
    ].join("\r\n");
    return { reply: Buffer.from(reply), operation: "M-SEARCH", outcome: "served" };
  };
}
