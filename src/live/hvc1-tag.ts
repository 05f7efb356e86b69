/** The most of ffmpeg's output held back while the init segment (ftyp, moov) is incomplete. */
const MAX_INIT_BYTES = 1024 * 1024;
/** Boxes on the way from moov to the sample descriptions (ISO/IEC 14496-12 §8). */
const PATH_TO_STSD = ["trak", "mdia", "minf", "stbl", "stsd"];

interface Box {
  type: string;
  /** Offset of the box's content (after size and type) and of its end, in the buffer. */
  start: number;
  end: number;
}

/** The boxes inside buffer[from, to): undefined when one does not fit (not whole yet, or not MP4). */
function boxes(buffer: Buffer, from: number, to: number): Box[] | undefined {
  const found: Box[] = [];
  for (let at = from; at < to;) {
    if (to - at < 8) return undefined;
    const size = buffer.readUInt32BE(at);
    const type = buffer.toString("latin1", at + 4, at + 8);
    // 0 (to the end) and 1 (64-bit size) are not what ffmpeg writes for these boxes.
    if (size < 8 || at + size > to) return undefined;
    found.push({ type, start: at + 8, end: at + size });
    at += size;
  }
  return found;
}

/**
 * Renames every `hev1` sample entry under `moov` to `hvc1`, in place: the tag Apple's players
 * and most browsers accept (ffmpeg's `-tag:v hvc1` does the same; the parameter sets stay in the
 * sample entry and in the stream). Returns how many were renamed.
 */
export function tagHevcAsHvc1(buffer: Buffer, moov: { start: number; end: number }): number {
  let renamed = 0;
  const walk = (from: number, to: number, depth: number) => {
    for (const box of boxes(buffer, from, to) ?? []) {
      if (box.type !== PATH_TO_STSD[depth]) continue;
      if (box.type !== "stsd") {
        walk(box.start, box.end, depth + 1);
        continue;
      }
      // stsd: version and flags (4), entry count (4), then the sample entries.
      for (const entry of boxes(buffer, box.start + 8, box.end) ?? []) {
        if (entry.type !== "hev1") continue;
        buffer.write("hvc1", entry.start - 4, "latin1");
        renamed++;
      }
    }
  };
  walk(moov.start, moov.end, 0);
  return renamed;
}

/**
 * ffmpeg's fragmented MP4 on its way to the center: the init segment (ftyp and moov, at the
 * start) is held until whole and its HEVC sample entries tagged `hvc1`; every byte after it
 * passes as it comes. The live view's ffmpeg copies the camera's stream without knowing its
 * codec beforehand, and `-tag:v hvc1` would make it refuse H.264. Output that does not start
 * as MP4 passes untouched.
 */
export class Hvc1Tagger {
  #held: Buffer[] = [];
  #heldBytes = 0;
  #done = false;

  push(chunk: Buffer): Buffer[] {
    if (this.#done) return [chunk];
    this.#held.push(chunk);
    this.#heldBytes += chunk.length;
    const joined = Buffer.concat(this.#held, this.#heldBytes);
    const init = this.#initEnd(joined);
    if (init === "wait" && this.#heldBytes < MAX_INIT_BYTES) {
      this.#held = [joined];
      return [];
    }
    this.#done = true;
    this.#held = [];
    return [joined];
  }

  /** Whatever is still held (the output ended before its init segment was whole). */
  flush(): Buffer[] {
    this.#done = true;
    const held = this.#held;
    this.#held = [];
    return held.length > 0 ? [Buffer.concat(held)] : [];
  }

  /** Tags the moov once ftyp and moov are whole; "wait" until they are, "other" for non-MP4. */
  #initEnd(buffer: Buffer): "wait" | "tagged" | "other" {
    if (buffer.length >= 8 && buffer.toString("latin1", 4, 8) !== "ftyp") return "other";
    let at = 0;
    for (const expected of ["ftyp", "moov"]) {
      if (buffer.length - at < 8) return "wait";
      const size = buffer.readUInt32BE(at);
      if (buffer.toString("latin1", at + 4, at + 8) !== expected || size < 8) return "other";
      if (at + size > buffer.length) return "wait";
      if (expected === "moov") tagHevcAsHvc1(buffer, { start: at + 8, end: at + size });
      at += size;
    }
    return "tagged";
  }
}
