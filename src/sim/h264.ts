/** H.264 Annex B parsing and RTP packetisation (RFC 6184, packetization-mode=1). */

export const NAL_TYPE = { idr: 5, sps: 7, pps: 8, aud: 9 } as const;

/** Largest RTP payload, keeping each interleaved packet well inside a TCP segment. */
export const MAX_RTP_PAYLOAD = 1400;

export interface AccessUnit {
  keyframe: boolean;
  /** RTP payloads of the frame in order; the last one carries the marker bit. */
  payloads: Buffer[];
}

export interface H264Stream {
  sps: Buffer;
  pps: Buffer;
  frames: AccessUnit[];
}

/** Splits an Annex B byte stream at its 3- or 4-byte start codes. */
export function splitAnnexB(data: Buffer): Buffer[] {
  const starts: { at: number; length: number }[] = [];
  for (let i = 0; i + 2 < data.length; i++) {
    if (data[i] === 0 && data[i + 1] === 0) {
      if (data[i + 2] === 1) {
        starts.push({ at: i, length: 3 });
        i += 2;
      } else if (data[i + 2] === 0 && data[i + 3] === 1) {
        starts.push({ at: i, length: 4 });
        i += 3;
      }
    }
  }
  return starts
    .map((start, index) =>
      data.subarray(start.at + start.length, starts[index + 1]?.at ?? data.length),
    )
    .filter((nal) => nal.length > 0);
}

export function nalType(nal: Buffer): number {
  return (nal[0] ?? 0) & 0x1f;
}

/** RTP payloads for one NAL unit: the NAL itself, or FU-A fragments when it is too large. */
export function packetizeNal(nal: Buffer, maxPayload = MAX_RTP_PAYLOAD): Buffer[] {
  if (nal.length <= maxPayload) return [nal];
  const header = nal[0] ?? 0;
  const indicator = (header & 0xe0) | 28;
  const type = header & 0x1f;
  const body = nal.subarray(1);
  const step = maxPayload - 2;
  const fragments: Buffer[] = [];
  for (let offset = 0; offset < body.length; offset += step) {
    const start = offset === 0 ? 0x80 : 0;
    const end = offset + step >= body.length ? 0x40 : 0;
    fragments.push(
      Buffer.concat([
        Buffer.from([indicator, start | end | type]),
        body.subarray(offset, offset + step),
      ]),
    );
  }
  return fragments;
}

/** How a codec's NAL units are told apart and sent, for accessUnits(). */
export interface NalCodec {
  isDelimiter(nal: Buffer): boolean;
  isKeyframe(nal: Buffer): boolean;
  packetize(nal: Buffer): Buffer[];
}

/**
 * Groups NAL units into frames at each access unit delimiter (the prepared clips have one before
 * every frame), each frame as its RTP payloads. Delimiters themselves are not sent.
 */
export function accessUnits(nals: readonly Buffer[], codec: NalCodec): AccessUnit[] {
  const frames: AccessUnit[] = [];
  let current: { keyframe: boolean; nals: Buffer[] } | undefined;
  const flush = () => {
    if (current && current.nals.length > 0)
      frames.push({
        keyframe: current.keyframe,
        payloads: current.nals.flatMap((nal) => codec.packetize(nal)),
      });
  };
  for (const nal of nals) {
    if (codec.isDelimiter(nal)) {
      flush();
      current = { keyframe: false, nals: [] };
      continue;
    }
    current ??= { keyframe: false, nals: [] };
    if (codec.isKeyframe(nal)) current.keyframe = true;
    current.nals.push(nal);
  }
  flush();
  return frames;
}

/** The frames of an H.264 Annex B stream, and its parameter sets for the SDP. */
export function parseH264(data: Buffer): H264Stream {
  const nals = splitAnnexB(data);
  const sps = nals.find((nal) => nalType(nal) === NAL_TYPE.sps);
  const pps = nals.find((nal) => nalType(nal) === NAL_TYPE.pps);
  const frames = accessUnits(nals, {
    isDelimiter: (nal) => nalType(nal) === NAL_TYPE.aud,
    isKeyframe: (nal) => nalType(nal) === NAL_TYPE.idr,
    packetize: (nal) => packetizeNal(nal),
  });
  if (!sps || !pps) throw new Error("H.264 stream has no SPS/PPS");
  if (!frames.some((frame) => frame.keyframe)) throw new Error("H.264 stream has no keyframe");
  return { sps, pps, frames };
}

/** The fmtp line of the SDP: profile-level-id from the SPS, parameter sets in base64. */
export function h264Fmtp(stream: H264Stream): string {
  const profileLevelId = stream.sps.subarray(1, 4).toString("hex");
  const sets = `${stream.sps.toString("base64")},${stream.pps.toString("base64")}`;
  return `packetization-mode=1;profile-level-id=${profileLevelId};sprop-parameter-sets=${sets}`;
}
