/** One payload format of an SDP media section (RFC 8866 a=rtpmap, or a static type). */
export interface PayloadFormat {
  media: string;
  /** Upper case, as in a=rtpmap: H264, H265, JPEG, PCMU, MPEG4-GENERIC... */
  encoding: string;
  clockRate: number;
}

/** RFC 3551's static payload types a camera may use without an a=rtpmap line. */
const STATIC_TYPES = new Map<number, Omit<PayloadFormat, "media">>([
  [0, { encoding: "PCMU", clockRate: 8000 }],
  [8, { encoding: "PCMA", clockRate: 8000 }],
  [14, { encoding: "MPA", clockRate: 90_000 }],
  [26, { encoding: "JPEG", clockRate: 90_000 }],
  [32, { encoding: "MPV", clockRate: 90_000 }],
]);
const MAX_FORMATS = 32;

/**
 * The payload types a camera's SDP declares, by number. The SDP is untrusted: only m= and
 * a=rtpmap lines are read, numbers are bounded, and at most MAX_FORMATS are kept.
 */
export function payloadFormats(sdp: string): Map<number, PayloadFormat> {
  const formats = new Map<number, PayloadFormat>();
  let media = "";
  for (const line of sdp.split(/\r?\n/)) {
    if (formats.size >= MAX_FORMATS) break;
    const section = /^m=([a-z]{1,16}) \d{1,5}(?:\/\d{1,5})? [A-Za-z0-9/]{1,32}((?: \d{1,3})+)/.exec(
      line,
    );
    if (section) {
      media = section[1] ?? "";
      for (const type of (section[2] ?? "").trim().split(" ").map(Number)) {
        const known = STATIC_TYPES.get(type);
        if (known && type < 96) formats.set(type, { media, ...known });
      }
      continue;
    }
    const map = /^a=rtpmap:(\d{1,3}) ([A-Za-z0-9._-]{1,32})\/(\d{1,6})/.exec(line);
    if (map && media) {
      const clockRate = Number(map[3]);
      if (clockRate > 0)
        formats.set(Number(map[1]), {
          media,
          encoding: (map[2] ?? "").toUpperCase(),
          clockRate,
        });
    }
  }
  return formats;
}
