import type { Severity } from "../catalogue.js";
import type { AuditContext } from "../context.js";
import type { CheckOutcome, Evidence, ResultState } from "../types.js";

/** One control's probe logic; the catalogue supplies its title, severity and references. */
export interface Check {
  id: string;
  run(ctx: AuditContext): Promise<CheckOutcome>;
}

export function outcome(
  status: ResultState,
  evidence: Evidence[],
  severity?: Severity,
): CheckOutcome {
  return severity ? { status, evidence, severity } : { status, evidence };
}

export function note(text: string): Evidence {
  return { probe: "note", note: text };
}

/** The answer when a check needs the interrogation and it failed. */
export function needsDevice(ctx: AuditContext, what: string): CheckOutcome {
  return outcome("unknown", [
    note(
      `${what} needs the camera's ONVIF details, which could not be read: ${ctx.deviceError?.message ?? "no answer"}`,
    ),
  ]);
}

/** Given credentials are required: without them the control cannot be judged. */
export function needsCredentials(what: string): CheckOutcome {
  return outcome("unknown", [
    note(`${what} needs the camera's credentials (-u/-p or the inventory)`),
  ]);
}
