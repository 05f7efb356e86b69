import { escapeXml } from "../../onvif/xml.js";
import type { AuditContext } from "../context.js";

/** The anonymous answers to operations beyond pre-authentication, asked once per audit. */
export async function anonymousOnvif(ctx: AuditContext) {
  return ctx.memo("anonymous-onvif", async () => {
    const token = escapeXml(ctx.device?.profiles[0]?.token ?? "Profile_1");
    const calls: [string, "device" | "media"][] = [
      ["<tds:GetDeviceInformation/>", "device"],
      ["<tds:GetUsers/>", "device"],
      ["<trt:GetProfiles/>", "media"],
      [
        `<trt:GetStreamUri><trt:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream><tt:Transport><tt:Protocol>RTSP</tt:Protocol></tt:Transport></trt:StreamSetup><trt:ProfileToken>${token}</trt:ProfileToken></trt:GetStreamUri>`,
        "media",
      ],
      [
        `<trt:GetSnapshotUri><trt:ProfileToken>${token}</trt:ProfileToken></trt:GetSnapshotUri>`,
        "media",
      ],
    ];
    const results = [];
    for (const [body, service] of calls) {
      const label = /^<\w+:(\w+)/.exec(body)?.[1] ?? "";
      results.push({ label, reply: await ctx.onvif(body, { service, anonymous: true }) });
    }
    return results;
  });
}

/** An operation that an anonymous caller is refused: only its acceptance proves a credential. */
export async function protectedOperation(ctx: AuditContext): Promise<string | undefined> {
  const results = await anonymousOnvif(ctx);
  const refused = (label: string) =>
    results.some(
      (r) => r.label === label && !r.reply.ok && r.reply.error.kind === "not-authorized",
    );
  if (refused("GetDeviceInformation")) return "<tds:GetDeviceInformation/>";
  if (refused("GetUsers")) return "<tds:GetUsers/>";
  return undefined;
}
