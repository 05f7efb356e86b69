// Discovery and interrogation of 50 simulated cameras. Baseline, in the same run: the `onvif`
// package interrogating the same cameras (Cam.connect + GetDeviceInformation + GetStreamUri per
// profile) at the same concurrency. Usage: node dist/scripts/bench/discovery.js [--cameras 50]
import { parseArgs } from "node:util";
import onvif from "onvif";
import { type Credentials, discover, interrogate } from "../../src/discovery/index.js";
import { Simulator } from "../../src/sim/index.js";

const { values } = parseArgs({
  options: {
    cameras: { type: "string", default: "50" },
    concurrency: { type: "string", default: "8" },
    "base-ip": { type: "string", default: "127.0.12.1" },
  },
});
const count = Number(values.cameras);
const concurrency = Number(values.concurrency);

async function pool<T>(items: readonly T[], work: (item: T) => Promise<unknown>): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
  return performance.now() - started;
}

function viaOnvifPackage(hostname: string, credentials: Credentials): Promise<void> {
  return new Promise((resolve, reject) => {
    const cam = new onvif.Cam({ hostname, ...credentials, autoconnect: false, timeout: 10_000 });
    cam.connect((error) => {
      if (error) return reject(error);
      cam.getDeviceInformation((infoError) => {
        if (infoError) return reject(infoError);
        let pending = cam.profiles.length;
        if (pending === 0) return resolve();
        for (const profile of cam.profiles) {
          cam.getStreamUri({ protocol: "RTSP", profileToken: profile.$.token }, (uriError) => {
            if (uriError) return reject(uriError);
            if (--pending === 0) resolve();
          });
        }
      });
    });
  });
}

const sim = new Simulator({
  cameras: count,
  baseIp: values["base-ip"],
  profile: "hardened",
  ffmpeg: "ffmpeg",
  multicast: true,
});
await sim.start();
try {
  const cameras = sim.describe();
  const prefix = values["base-ip"].split(".").slice(0, 3).join(".");
  for (const mode of ["unicast sweep", "multicast on lo"] as const) {
    const started = performance.now();
    let lastAnswer = 0;
    const { devices } = await discover({
      timeoutMs: 3000,
      ...(mode === "unicast sweep"
        ? { cidrs: [`${prefix}.0/25`], multicast: false }
        : { interfaces: ["lo"] }),
      onDevice: () => {
        lastAnswer = performance.now() - started;
      },
    });
    const mine = devices.filter((d) => d.addresses.some((a) => a.startsWith(`${prefix}.`))).length;
    console.log(
      `discovery (${mode}): ${mine}/${count} cameras, last answer after ${lastAnswer.toFixed(0)} ms (probe timeout 3000 ms)`,
    );
  }
  const credentialsOf = (index: number) =>
    sim.cameras[index]?.credentials ?? { username: "", password: "" };
  const ours = await pool(cameras, (camera) =>
    interrogate(camera.xaddr, { credentials: credentialsOf(camera.index) }),
  );
  const theirs = await pool(cameras, (camera) =>
    viaOnvifPackage(camera.address, credentialsOf(camera.index)),
  );
  console.log(`interrogation of ${count} cameras, ${concurrency} at a time:`);
  console.log(
    `  camgate interrogate (clock, services, info, MAC, scopes, profiles, stream + snapshot URIs): ${ours.toFixed(0)} ms, ${(ours / count).toFixed(1)} ms per camera`,
  );
  console.log(
    `  onvif package (connect, device information, stream URIs):                               ${theirs.toFixed(0)} ms, ${(theirs / count).toFixed(1)} ms per camera`,
  );
  console.log(
    `  ratio camgate/onvif: ${(ours / theirs).toFixed(2)} (camgate makes more calls per camera)`,
  );
} finally {
  await sim.stop();
}
