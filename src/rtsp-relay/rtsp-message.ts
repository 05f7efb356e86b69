import { RtspProtocolError } from "./errors.js";

/** Bounds on what a peer may send: a camera or a local process is never trusted with memory. */
export const RTSP_LIMITS = {
  headBytes: 16 * 1024,
  headers: 64,
  bodyBytes: 256 * 1024,
} as const;

export type Header = readonly [name: string, value: string];

export interface RtspMessage {
  kind: "message";
  /** The request line (`METHOD uri RTSP/1.0`) or the status line (`RTSP/1.0 200 OK`). */
  startLine: string;
  headers: Header[];
  body: Buffer;
}

/** An interleaved binary frame (`$`, channel, 16-bit length, payload), kept whole as received. */
export interface InterleavedFrame {
  kind: "frame";
  data: Buffer;
}

export type RtspItem = RtspMessage | InterleavedFrame;

const DOLLAR = 0x24;
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const FORBIDDEN_IN_LINE = /[\u0000-\u0008\u000a-\u001f\u007f]/;

function headEnd(buffer: Buffer): { end: number; skip: number } | undefined {
  const crlf = buffer.indexOf("\r\n\r\n");
  const lf = buffer.indexOf("\n\n");
  if (crlf === -1 && lf === -1) return undefined;
  if (lf === -1 || (crlf !== -1 && crlf < lf)) return { end: crlf, skip: 4 };
  return { end: lf, skip: 2 };
}

function parseHead(text: string): { startLine: string; headers: Header[] } {
  const [startLine = "", ...lines] = text.split(/\r?\n/);
  if (lines.length > RTSP_LIMITS.headers)
    throw new RtspProtocolError(`more than ${RTSP_LIMITS.headers} header lines`);
  if (FORBIDDEN_IN_LINE.test(startLine)) throw new RtspProtocolError("control character in line");
  const headers: Header[] = [];
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon <= 0 || /^\s/.test(line) || FORBIDDEN_IN_LINE.test(line))
      throw new RtspProtocolError(`malformed header line: ${JSON.stringify(line.slice(0, 60))}`);
    headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return { startLine, headers };
}

/** The first value of a header (names compare case-insensitively). */
export function headerValue(headers: readonly Header[], name: string): string | undefined {
  const lower = name.toLowerCase();
  return headers.find(([key]) => key.toLowerCase() === lower)?.[1];
}

/** Every value of a header, in order. */
export function headerValues(headers: readonly Header[], name: string): string[] {
  const lower = name.toLowerCase();
  return headers.filter(([key]) => key.toLowerCase() === lower).map(([, value]) => value);
}

function contentLength(headers: readonly Header[]): number {
  const raw = headerValue(headers, "content-length");
  if (raw === undefined) return 0;
  if (!/^\d{1,9}$/.test(raw))
    throw new RtspProtocolError(`bad Content-Length: ${raw.slice(0, 20)}`);
  const length = Number(raw);
  if (length > RTSP_LIMITS.bodyBytes)
    throw new RtspProtocolError(`body of ${length} bytes is over ${RTSP_LIMITS.bodyBytes}`);
  return length;
}

/**
 * Splits an RTSP byte stream into messages and interleaved frames as the bytes arrive. Throws
 * RtspProtocolError on anything malformed or over RTSP_LIMITS; the connection is then dropped.
 */
export class RtspReader {
  #buffer: Buffer = Buffer.alloc(0);

  /** Adds bytes and returns every item they complete. */
  push(chunk: Buffer): RtspItem[] {
    this.append(chunk);
    const items: RtspItem[] = [];
    for (let item = this.next(); item; item = this.next()) items.push(item);
    return items;
  }

  append(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
  }

  /** What was received and not parsed yet; the reader is empty afterwards. */
  drain(): Buffer {
    const rest = this.#buffer;
    this.#buffer = Buffer.alloc(0);
    return rest;
  }

  /** The next complete item, or undefined until more bytes arrive. */
  next(): RtspItem | undefined {
    const buffer = this.#buffer;
    if (buffer.length === 0) return undefined;
    if (buffer[0] === DOLLAR) {
      if (buffer.length < 4) return undefined;
      const size = 4 + buffer.readUInt16BE(2);
      if (buffer.length < size) return undefined;
      this.#buffer = buffer.subarray(size);
      return { kind: "frame", data: buffer.subarray(0, size) };
    }
    const found = headEnd(buffer);
    if (!found) {
      if (buffer.length > RTSP_LIMITS.headBytes)
        throw new RtspProtocolError(`message head over ${RTSP_LIMITS.headBytes} bytes`);
      return undefined;
    }
    if (found.end > RTSP_LIMITS.headBytes)
      throw new RtspProtocolError(`message head over ${RTSP_LIMITS.headBytes} bytes`);
    const { startLine, headers } = parseHead(buffer.subarray(0, found.end).toString("latin1"));
    const bodyStart = found.end + found.skip;
    const length = contentLength(headers);
    if (buffer.length < bodyStart + length) return undefined;
    this.#buffer = buffer.subarray(bodyStart + length);
    return {
      kind: "message",
      startLine,
      headers,
      body: Buffer.from(buffer.subarray(bodyStart, bodyStart + length)),
    };
  }
}

/** A request line's parts, or undefined when the line is not an RTSP/1.x request. */
export function parseRequestLine(line: string): { method: string; uri: string } | undefined {
  const match = /^([A-Z_]{1,32}) (\S{1,4096}) RTSP\/1\.\d$/.exec(line);
  return match ? { method: match[1] ?? "", uri: match[2] ?? "" } : undefined;
}

/** A status line's code, or undefined when the line is not an RTSP/1.x status line. */
export function parseStatusLine(line: string): number | undefined {
  const match = /^RTSP\/1\.\d (\d{3})(?: .*)?$/.exec(line);
  return match ? Number(match[1]) : undefined;
}

/** The message as bytes, with Content-Length set to the body's length (and only then). */
export function serializeMessage(message: Omit<RtspMessage, "kind">): Buffer {
  const lines = [message.startLine];
  for (const [name, value] of message.headers)
    if (name.toLowerCase() !== "content-length") lines.push(`${name}: ${value}`);
  if (message.body.length > 0) lines.push(`Content-Length: ${message.body.length}`);
  const head = Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1");
  return message.body.length > 0 ? Buffer.concat([head, message.body]) : head;
}
