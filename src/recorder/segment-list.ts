/** One line of ffmpeg's CSV segment list: a segment that was just closed. */
export interface SegmentListEntry {
  file: string;
  /** Seconds on the stream's own timeline, relative to the start of the ffmpeg run. */
  startSec: number;
  endSec: number;
}

export class SegmentListError extends Error {}

const MAX_LINE = 512;
// Only names this recorder gives its segments; anything else means ffmpeg is not the one talking.
const FILE_NAME = /^[A-Za-z0-9_-]{1,128}\.ts$/;
const NUMBER = /^\d{1,9}(\.\d{1,9})?$/;

/** Parses `name,start,end` as written by `-segment_list_type csv`. Never trusts the line. */
export function parseSegmentListLine(line: string): SegmentListEntry {
  if (line.length > MAX_LINE)
    throw new SegmentListError(`segment list line over ${MAX_LINE} chars`);
  const fields = line.trim().split(",");
  if (fields.length !== 3)
    throw new SegmentListError(`expected name,start,end: ${line.slice(0, 80)}`);
  const [file = "", start = "", end = ""] = fields;
  if (!FILE_NAME.test(file))
    throw new SegmentListError(`unexpected segment name: ${file.slice(0, 80)}`);
  if (!NUMBER.test(start) || !NUMBER.test(end))
    throw new SegmentListError(`bad segment times: ${start},${end}`);
  const startSec = Number(start);
  const endSec = Number(end);
  if (endSec < startSec) throw new SegmentListError(`segment ends before it starts: ${line}`);
  return { file, startSec, endSec };
}
