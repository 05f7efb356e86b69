/**
 * Why an ffmpeg run ended, as a cause a technician can act on, from how it ended and what it
 * said. ffmpeg's last line is often a warning it printed on the way (e.g. "Non-monotonous DTS"),
 * not the reason it stopped, so the lines are read for the cause, most telling first.
 */
export interface EndedRun {
  stalled: boolean;
  code: number | null;
  stderr: { readonly lines: readonly string[] };
}

const CAUSES: readonly [RegExp, string][] = [
  [/no space left on device/i, "the disk is full"],
  [
    /401 unauthori[sz]ed|403 forbidden|authori[sz]ation failed/i,
    "the camera refused the credentials",
  ],
  [
    /connection refused|timed? ?out|no route to host|network is unreachable|host is unreachable/i,
    "the camera could not be reached",
  ],
  [
    /end of file|connection reset|broken pipe|server returned 5\d\d|session not found/i,
    "the camera closed the stream",
  ],
  [
    /non[- ]monoton|timestamp discontinuity|dts .*(?:discontinuity|out of order)|invalid dts|pts .*jump/i,
    "timestamp discontinuity",
  ],
];

export function exitCause(run: EndedRun): string {
  // Kept as it was: the word the center and the tests know a stalled stream by.
  if (run.stalled) return "stalled";
  for (const [pattern, cause] of CAUSES)
    if (run.stderr.lines.some((line) => pattern.test(line))) return cause;
  if (run.code === 0) return "the camera closed the stream";
  if (run.code === null) return "ffmpeg was killed by a signal";
  return `ffmpeg exited with code ${run.code}`;
}
