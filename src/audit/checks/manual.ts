import { MANUAL_EVIDENCE } from "../catalogue.js";
import { vendorOf } from "../vendor-data.js";
import { type Check, note, outcome } from "./check.js";

function manualCheck(id: string): Check {
  return {
    id,
    async run(ctx) {
      const evidence = [note(MANUAL_EVIDENCE[id] ?? "Collect the vendor's documentation.")];
      if (id === "manual.vulnerability-disclosure") {
        const vendor = vendorOf(ctx.data, ctx.device?.manufacturer);
        evidence.push(
          note(
            vendor?.psirt
              ? `${vendor.name} publishes advisories at ${vendor.psirt}`
              : `no PSIRT page is known for ${ctx.device?.manufacturer ?? "this vendor"}`,
          ),
        );
      }
      return outcome("manual", evidence);
    },
  };
}

export const MANUAL_CHECKS: Check[] = [
  "manual.vulnerability-disclosure",
  "manual.update-authenticity",
  "manual.secure-storage",
  "manual.data-deletion",
].map(manualCheck);
