import { MANUAL_EVIDENCE } from "../catalogue.js";
import { vendorOf } from "../vendor-data.js";
import { said } from "../said.js";
import { type Check, note, outcome } from "./check.js";

function manualCheck(id: string): Check {
  return {
    id,
    async run(ctx) {
      const evidence = [
        note(
          MANUAL_EVIDENCE[id] ??
            said("Collect the vendor's documentation.", "Thu thập tài liệu của hãng."),
        ),
      ];
      if (id === "manual.vulnerability-disclosure") {
        const vendor = vendorOf(ctx.data, ctx.device?.manufacturer);
        evidence.push(
          note(
            vendor?.psirt
              ? said(
                  `${vendor.name} publishes advisories at ${vendor.psirt}`,
                  `${vendor.name} công bố khuyến cáo bảo mật tại ${vendor.psirt}`,
                )
              : said(
                  `no PSIRT page is known for ${ctx.device?.manufacturer ?? "this vendor"}`,
                  `chưa biết trang PSIRT nào của ${ctx.device?.manufacturer ?? "hãng này"}`,
                ),
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
