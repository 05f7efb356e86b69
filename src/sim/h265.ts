/** H.265 Annex B parsing and RTP packetisation (RFC 7798), for a simulated H.265 camera. */
import { type AccessUnit, accessUnits, MAX_RTP_PAYLOAD, splitAnnexB } from "./h264.js";

const NAL = { vps: 32, sps: 33, pps: 34, aud: 35, fu: 49 } as const;
/** IRAP pictures (BLA, IDR, CRA): where a decoder can start. */
const IRAP_FIRST = 16;
const IRAP_LAST = 21;

export interface H265Stream {
  vps: Buffer;
  sps: Buffer;
  pps: Buffer;
  frames: AccessUnit[];
}

function nalType(nal: Buffer): number {
  return ((nal[0] ?? 0) >> 1) & 0x3f;
}

/** RTP payloads for one NAL unit: the NAL itself, or fragmentation units when it is too large. */
export function packetizeH265Nal(nal: Buffer, maxPayload = MAX_RTP_PAYLOAD): Buffer[] {
  if (nal.length <= maxPayload) return [nal];
  const type = nalType(nal);
  // The payload header keeps the NAL's F bit, layer id and temporal id, with type 49.
  const header = [((nal[0] ?? 0) & 0x81) | (NAL.fu << 1), nal[1] ?? 1];
  const body = nal.subarray(2);
  const step = maxPayload - 3;
  const fragments: Buffer[] = [];
  for (let offset = 0; offset < body.length; offset += step) {
    const start = offset === 0 ? 0x80 : 0;
    const end = offset + step >= body.length ? 0x40 : 0;
    fragments.push(
      Buffer.concat([
        Buffer.from([...header, start | end | type]),
        body.subarray(offset, offset + step),
      ]),
    );
  }
  return fragments;
}

/** The frames of an H.265 Annex B stream, and its parameter sets for the SDP. */
export function parseH265(data: Buffer): H265Stream {
  const nals = splitAnnexB(data);
  const [vps, sps, pps] = [NAL.vps, NAL.sps, NAL.pps].map((type) =>
    nals.find((nal) => nalType(nal) === type),
  );
  const frames = accessUnits(nals, {
    isDelimiter: (nal) => nalType(nal) === NAL.aud,
    isKeyframe: (nal) => nalType(nal) >= IRAP_FIRST && nalType(nal) <= IRAP_LAST,
    packetize: (nal) => packetizeH265Nal(nal),
  });
  if (!vps || !sps || !pps) throw new Error("H.265 stream has no VPS/SPS/PPS");
  if (!frames.some((frame) => frame.keyframe)) throw new Error("H.265 stream has no keyframe");
  return { vps, sps, pps, frames };
}

/** The fmtp line of the SDP: the parameter sets in base64. */
export function h265Fmtp(stream: H265Stream): string {
  const b64 = (nal: Buffer) => nal.toString("base64");
  return `sprop-vps=${b64(stream.vps)};sprop-sps=${b64(stream.sps)};sprop-pps=${b64(stream.pps)}`;
}
