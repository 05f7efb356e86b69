import { AUTH_CHECKS } from "./auth.js";
import { AUTH_TRANSPORT_CHECKS } from "./auth-transport.js";
import type { Check } from "./check.js";
import { COMMS_CHECKS } from "./comms.js";
import { FIRMWARE_CHECKS } from "./firmware.js";
import { LOGGING_CHECKS } from "./logging.js";
import { MANUAL_CHECKS } from "./manual.js";
import { SERVICES_CHECKS } from "./services.js";
import { TIME_CHECKS } from "./time.js";

export type { Check } from "./check.js";

/** Every check by control id; a test keeps this and the catalogue one-to-one. */
export const CHECKS: ReadonlyMap<string, Check> = new Map(
  [
    ...AUTH_CHECKS,
    ...AUTH_TRANSPORT_CHECKS,
    ...COMMS_CHECKS,
    ...SERVICES_CHECKS,
    ...FIRMWARE_CHECKS,
    ...TIME_CHECKS,
    ...LOGGING_CHECKS,
    ...MANUAL_CHECKS,
  ].map((check) => [check.id, check]),
);
