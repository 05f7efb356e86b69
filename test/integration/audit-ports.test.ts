import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type AuditReport, auditCamera, loadAuditData } from "../../src/audit/index.js";
import { Simulator, UNPRIVILEGED_PORTS } from "../../src/sim/index.js";
import { defer } from "../helpers/temp.js";
import { auditSettings } from "../helpers/audit.js";

const settings = auditSettings();

const SERVICES = ["services.telnet", "services.ftp", "services.ssh", "services.snmp-public"];

async function weakCamera(
  t: { after(fn: () => unknown): void },
  baseIp: string,
  ports?: typeof UNPRIVILEGED_PORTS,
): Promise<AuditReport> {
  const sim = new Simulator({
    baseIp,
    cameras: 1,
    profile: "weak",
    ffmpeg: "ffmpeg",
    multicast: false,
    ...(ports ? { ports } : {}),
  });
  await sim.start();
  defer(t, () => sim.stop());
  const camera = sim.describe()[0]!;
  return auditCamera(
    {
      host: camera.address,
      xaddr: camera.xaddr,
      credentials: { username: camera.username, password: camera.password },
    },
    settings,
    loadAuditData(),
  );
}

describe("audit: services where the camera really runs them", () => {
  it("finds telnet, FTP, SSH and SNMP on the ports firmware moves them to, as on the standard ones, and says which ports it checked", async (t) => {
    // The demo's cameras (unprivileged ports: 2323, 2121, 2222, 1161) and the same camera on the
    // standard ports must get the same verdicts.
    const moved = await weakCamera(t, "127.0.23.20", UNPRIVILEGED_PORTS);
    const standard = await weakCamera(t, "127.0.23.10");
    const verdicts = (report: AuditReport) =>
      SERVICES.map((id) => `${id}=${report.controls.find((c) => c.id === id)?.status}`);
    assert.deepEqual(
      verdicts(moved),
      SERVICES.map((id) => `${id}=fail`),
    );
    assert.deepEqual(verdicts(standard), verdicts(moved));
    const telnet = moved.controls.find((c) => c.id === "services.telnet")!;
    assert.ok(
      telnet.evidence.some((e) => /ports checked 23, 2323.*open: 2323/.test(JSON.stringify(e))),
      JSON.stringify(telnet.evidence),
    );
  });
});
