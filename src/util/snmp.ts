/**
 * Just enough SNMPv2c (BER) for one GET of one OID and its answer: the audit asks whether a
 * camera answers the community "public", and the simulator answers like a camera that does.
 * Every length read from the wire is checked against the buffer, so a hostile reply cannot
 * make the decoder read past it.
 */

export const SYS_DESCR_OID = "1.3.6.1.2.1.1.1.0";
export const PDU_GET_REQUEST = 0xa0;
export const PDU_GET_RESPONSE = 0xa2;
const SNMP_V2C = 1;

export class SnmpDecodeError extends Error {}

function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  if (length < 0x100) return Buffer.from([0x81, length]);
  return Buffer.from([0x82, length >> 8, length & 0xff]);
}

function tlv(tag: number, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(value.length), value]);
}

function integer(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  do {
    bytes.unshift(rest & 0xff);
    rest = Math.floor(rest / 256);
  } while (rest > 0);
  if ((bytes[0] ?? 0) & 0x80) bytes.unshift(0);
  return tlv(0x02, Buffer.from(bytes));
}

function oid(dotted: string): Buffer {
  const parts = dotted.split(".").map(Number);
  const [first = 0, second = 0, ...rest] = parts;
  const bytes = [first * 40 + second];
  for (const part of rest) {
    const chunk = [part & 0x7f];
    for (let value = Math.floor(part / 128); value > 0; value = Math.floor(value / 128))
      chunk.unshift((value & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

function message(community: string, pduType: number, requestId: number, bind: Buffer): Buffer {
  const pdu = tlv(
    pduType,
    Buffer.concat([integer(requestId), integer(0), integer(0), tlv(0x30, tlv(0x30, bind))]),
  );
  return tlv(
    0x30,
    Buffer.concat([integer(SNMP_V2C), tlv(0x04, Buffer.from(community, "utf8")), pdu]),
  );
}

export function encodeGetRequest(community: string, requestId: number, oidText: string): Buffer {
  return message(
    community,
    PDU_GET_REQUEST,
    requestId,
    Buffer.concat([oid(oidText), Buffer.from([0x05, 0x00])]),
  );
}

export function encodeGetResponse(
  community: string,
  requestId: number,
  oidText: string,
  text: string,
): Buffer {
  return message(
    community,
    PDU_GET_RESPONSE,
    requestId,
    Buffer.concat([oid(oidText), tlv(0x04, Buffer.from(text, "utf8"))]),
  );
}

interface Element {
  tag: number;
  value: Buffer;
  next: number;
}

function read(buffer: Buffer, offset: number): Element {
  const tag = buffer[offset];
  let length = buffer[offset + 1];
  if (tag === undefined || length === undefined) throw new SnmpDecodeError("truncated");
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 2 || start + count > buffer.length)
      throw new SnmpDecodeError("bad length");
    length = buffer.readUIntBE(start, count);
    start += count;
  }
  if (start + length > buffer.length) throw new SnmpDecodeError("length beyond the datagram");
  return { tag, value: buffer.subarray(start, start + length), next: start + length };
}

function expect(buffer: Buffer, offset: number, tag: number): Element {
  const element = read(buffer, offset);
  if (element.tag !== tag) throw new SnmpDecodeError(`expected tag ${tag}, got ${element.tag}`);
  return element;
}

function decodeInteger(value: Buffer): number {
  if (value.length === 0 || value.length > 6) throw new SnmpDecodeError("bad integer");
  return value.readIntBE(0, value.length);
}

function decodeOid(value: Buffer): string {
  const [head = 0] = value;
  const parts = [Math.floor(head / 40), head % 40];
  let current = 0;
  for (const byte of value.subarray(1)) {
    current = current * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      parts.push(current);
      current = 0;
    }
  }
  return parts.join(".");
}

export interface SnmpMessage {
  version: number;
  community: string;
  pduType: number;
  requestId: number;
  varbinds: { oid: string; tag: number; value: Buffer }[];
}

export function decodeMessage(datagram: Buffer): SnmpMessage {
  const outer = expect(datagram, 0, 0x30).value;
  const version = expect(outer, 0, 0x02);
  const community = expect(outer, version.next, 0x04);
  const pdu = read(outer, community.next);
  if ((pdu.tag & 0xe0) !== 0xa0) throw new SnmpDecodeError("not a PDU");
  const requestId = expect(pdu.value, 0, 0x02);
  const status = expect(pdu.value, requestId.next, 0x02);
  const index = expect(pdu.value, status.next, 0x02);
  const list = expect(pdu.value, index.next, 0x30).value;
  const varbinds: SnmpMessage["varbinds"] = [];
  for (let offset = 0; offset < list.length && varbinds.length < 16;) {
    const bind = expect(list, offset, 0x30);
    const name = expect(bind.value, 0, 0x06);
    const value = read(bind.value, name.next);
    varbinds.push({ oid: decodeOid(name.value), tag: value.tag, value: value.value });
    offset = bind.next;
  }
  return {
    version: decodeInteger(version.value),
    community: community.value.toString("utf8"),
    pduType: pdu.tag,
    requestId: decodeInteger(requestId.value),
    varbinds,
  };
}
