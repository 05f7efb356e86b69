import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createSocket } from "node:dgram";
import { readFile, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { createServer as createTcpServer } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { discover, interrogate, OnvifCallError } from "../../src/discovery/index.js";
import { NS } from "../../src/onvif/index.js";
import { Simulator } from "../../src/sim/index.js";
import { runCamgate } from "../helpers/cli.js";
import { tempDir } from "../helpers/temp.js";

const run = promisify(execFile);
const COUNT = 30;
const THREE_YEARS_MS = 3 * 365 * 24 * 3_600_000;

describe("discovery and interrogation against 30 simulated cameras", () => {
  let sim: Simulator;
  before(async () => {
    sim = new Simulator({
      baseIp: "127.0.6.1",
      cameras: COUNT,
      profile: "mixed",
      ffmpeg: "ffmpeg",
      override: (index) => (index === 4 ? { clockSkewMs: -THREE_YEARS_MS } : undefined),
    });
    await sim.start();
  });
  after(() => sim.stop());

  it("finds every camera by unicast sweep of a CIDR within the probe timeout plus one second", async () => {
    const timeoutMs = 2000;
    const started = performance.now();
    const { devices } = await discover({ cidrs: ["127.0.6.0/27"], timeoutMs, multicast: false });
    const elapsed = performance.now() - started;
    assert.deepEqual(
      devices.map((d) => d.urn).sort(),
      sim
        .describe()
        .map((c) => c.urn)
        .sort(),
    );
    assert.ok(elapsed <= timeoutMs + 1000, `took ${elapsed.toFixed(0)} ms`);
    const first = devices.find((d) => d.addresses[0] === "127.0.6.1");
    assert.equal(first?.xaddr, "http://127.0.6.1/onvif/device_service");
    assert.equal(first?.scopes.name, "SimCam-01");
    assert.equal(first?.scopes.location, "Hanoi");
  });

  it("finds every camera by multicast on loopback", async () => {
    const { devices } = await discover({ interfaces: ["lo"], timeoutMs: 2000 });
    const mine = devices.filter((d) => d.addresses.some((a) => a.startsWith("127.0.6.")));
    assert.equal(mine.length, COUNT);
  });

  it("camgate discover --json prints the documented shape", async () => {
    const result = await runCamgate([
      "discover",
      "--cidr",
      "127.0.6.0/27",
      "--no-multicast",
      "--timeout",
      "1s",
      "--json",
    ]);
    assert.equal(result.code, 0, result.stderr);
    const devices = JSON.parse(result.stdout) as {
      urn: string;
      addresses: string[];
      xaddrs: string[];
      scopes: object;
      hardware?: string;
      name?: string;
    }[];
    assert.equal(devices.length, COUNT);
    assert.deepEqual(Object.keys(devices[0]!).slice(0, 4), [
      "urn",
      "addresses",
      "xaddrs",
      "scopes",
    ]);
    assert.equal(devices[0]!.hardware, "CGS-2000");
  });

  it("inspect returns the device information and stream URIs that play", async () => {
    const camera = sim.cameras[0]!;
    const { username, password } = camera.credentials;
    const result = await runCamgate(
      ["inspect", "127.0.6.1", "-u", username, "--password-stdin", "--json"],
      { input: `${password}\n` },
    );
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as {
      manufacturer: string;
      serialNumber: string;
      mac: string;
      clockOffsetMs: number;
      profiles: { token: string; streamUri: string; snapshotUri: string; width: number }[];
    };
    assert.equal(report.manufacturer, "CamgateSim");
    assert.equal(report.serialNumber, camera.state.identity.serialNumber);
    assert.equal(report.mac, camera.state.identity.mac);
    assert.ok(Math.abs(report.clockOffsetMs) < 5000);
    assert.deepEqual(
      report.profiles.map((p) => p.token),
      ["Profile_1", "Profile_2"],
    );
    assert.equal(report.profiles[0]!.width, 320);
    const authed = report.profiles[0]!.streamUri.replace(
      "rtsp://",
      `rtsp://${username}:${encodeURIComponent(password)}@`,
    );
    const { stdout } = await run(
      "ffprobe",
      [
        "-v",
        "error",
        "-rtsp_transport",
        "tcp",
        "-show_entries",
        "stream=codec_name",
        "-of",
        "csv=p=0",
        authed,
      ],
      { timeout: 30_000 },
    );
    assert.equal(stdout.trim(), "h264");
    assert.ok(!result.stdout.includes(password), "the password is never printed");
  });

  it("wrong credentials: a clear 'not authorized', exit 1", async () => {
    const result = await runCamgate(["inspect", "127.0.6.1", "-u", "admin", "--password-stdin"], {
      input: "wrong",
    });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /not authorized.*check the username and password/);
  });

  it("an unreachable or silent host: a clear timeout, exit 1", async () => {
    const silent = createTcpServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(80, "127.0.6.250", resolve));
    try {
      const result = await runCamgate(["inspect", "127.0.6.250", "--timeout", "1s"]);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /did not answer within 1000 ms/);
    } finally {
      silent.close();
    }
    const refused = await runCamgate(["inspect", "127.0.6.251", "--timeout", "1s"]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /unreachable: ECONNREFUSED/);
  });

  it("interrogates a hardened camera whose clock is 3 years off, with authentication", async () => {
    const camera = sim.cameras[4]!;
    assert.equal(
      camera.state.weaknesses.staleWsseAccepted,
      false,
      "a camera that checks token freshness",
    );
    const report = await interrogate(sim.describe()[4]!.xaddr, { credentials: camera.credentials });
    assert.equal(report.serialNumber, camera.state.identity.serialNumber);
    assert.ok(
      Math.abs((report.clockOffsetMs ?? 0) + THREE_YEARS_MS) < 10_000,
      `offset ${report.clockOffsetMs}`,
    );
    assert.equal(report.profiles.length, 2);
  });

  it("--save keeps what answered as pending; approval pins; a moved camera is approved again", async (t) => {
    const dir = await tempDir(t);
    const config = join(dir, "camgate.yaml");
    await writeFile(
      config,
      `site:\n  id: test-site\nstore:\n  path: ${join(dir, "camgate.db")}\nsecrets:\n  keyFile: ${join(dir, "keys", "seal.key")}\n`,
    );
    const setDefault = await runCamgate(
      ["--config", config, "cameras", "default-credentials", "-u", "admin", "--password-stdin"],
      { input: "12345\n" },
    );
    assert.equal(setDefault.code, 0, setDefault.stderr);
    const save = (cidr: string) =>
      runCamgate([
        "--config",
        config,
        "discover",
        "--cidr",
        cidr,
        "--no-multicast",
        "--timeout",
        "1s",
        "--save",
      ]);
    const list = async () =>
      JSON.parse((await runCamgate(["--config", config, "cameras", "list", "--json"])).stdout) as {
        id: string;
        ip: string;
        urn: string;
        trust: string;
        claims: string | null;
        manufacturer: string | null;
        hasCredentials: boolean;
        identityIssue: { kind: string; address: string } | null;
      }[];
    for (let pass = 0; pass < 2; pass++) {
      const saved = await save("127.0.6.0/27");
      assert.equal(saved.code, 0, saved.stderr);
      assert.match(
        saved.stderr,
        pass === 0
          ? /saved: 30 new, 0 changed, 0 unchanged/
          : /saved: 0 new, 0 changed, 30 unchanged/,
      );
      assert.match(saved.stderr, /30 device\(s\) await approval/);
    }
    const listed = await list();
    assert.equal(listed.length, COUNT);
    assert.ok(listed.every((c) => c.trust === "pending" && !c.hasCredentials));

    // The technician approves the first camera with its own credentials: it is pinned.
    const first = sim.cameras[0]!;
    const firstRow = listed.find((c) => c.ip === first.state.host)!;
    const approved = await runCamgate(
      [
        "--config",
        config,
        "cameras",
        "approve",
        firstRow.id,
        "-u",
        first.credentials.username,
        "--password-stdin",
      ],
      { input: first.credentials.password },
    );
    assert.equal(approved.code, 0, approved.stderr);
    assert.match(
      approved.stdout,
      new RegExp(`approved ${firstRow.id} .*pinned to ${first.state.host}, serial SIM`),
    );

    // The same camera (same seed, same URN) answers from another address: a claim, not a move.
    const moved = new Simulator({
      baseIp: "127.0.6.101",
      cameras: 1,
      profile: "mixed",
      ffmpeg: "ffmpeg",
      multicast: false,
    });
    await moved.start();
    try {
      assert.match((await save("127.0.6.96/27")).stderr, /saved: 1 new, 0 changed/);
      let after = await list();
      const original = after.find((c) => c.id === firstRow.id)!;
      assert.equal(original.ip, first.state.host, "the approved camera keeps its address");
      assert.equal(original.identityIssue?.kind, "claimed");
      const claimant = after.find((c) => c.ip === "127.0.6.101")!;
      assert.equal(claimant.trust, "pending");
      assert.equal(claimant.claims, firstRow.id);

      // It really moved: the technician says so, and the camera keeps its id.
      const again = await runCamgate(
        [
          "--config",
          config,
          "cameras",
          "approve",
          claimant.id,
          "--replaces",
          firstRow.id,
          "-u",
          first.credentials.username,
          "--password-stdin",
        ],
        { input: first.credentials.password },
      );
      assert.equal(again.code, 0, again.stderr);
      after = await list();
      const movedRow = after.find((c) => c.id === firstRow.id)!;
      assert.equal(movedRow.ip, "127.0.6.101");
      assert.equal(movedRow.identityIssue, null);
      assert.equal(after.length, COUNT, "the claimant's row is gone");
    } finally {
      await moved.stop();
    }
  });

  it("cameras add seals the credentials; they never appear in the database file or the output", async (t) => {
    const dir = await tempDir(t);
    const config = join(dir, "camgate.yaml");
    const db = join(dir, "camgate.db");
    await writeFile(
      config,
      `site:\n  id: test-site\nstore:\n  path: ${db}\nsecrets:\n  keyFile: ${join(dir, "seal.key")}\n`,
    );
    const camera = sim.cameras[2]!;
    const { username, password } = camera.credentials;
    const added = await runCamgate(
      [
        "--config",
        config,
        "cameras",
        "add",
        "127.0.6.3",
        "-u",
        username,
        "--password-stdin",
        "--name",
        "Gate",
        "--json",
      ],
      { input: password },
    );
    assert.equal(added.code, 0, added.stderr);
    const { id } = JSON.parse(added.stdout) as { id: string };
    const list = await runCamgate(["--config", config, "cameras", "list", "--json"]);
    assert.ok(!list.stdout.includes(password));
    assert.match(list.stdout, /"hasCredentials": true/);
    assert.match(list.stdout, /"name": "Gate"/);
    for (const file of [db, `${db}-wal`]) {
      const bytes = await readFile(file).catch(() => Buffer.alloc(0));
      assert.ok(!bytes.includes(password), `${file} holds the password in clear`);
    }
    assert.equal(
      (await runCamgate(["--config", config, "cameras", "set", id, "--disabled"])).code,
      0,
    );
    assert.match(
      (await runCamgate(["--config", config, "cameras", "list", "--json"])).stdout,
      /"enabled": false/,
    );
    assert.equal((await runCamgate(["--config", config, "cameras", "remove", id])).code, 0);
    assert.equal((await runCamgate(["--config", config, "cameras", "remove", id])).code, 1);
  });
});

describe("hostile devices", () => {
  let server: Server;
  let mode = "";
  let html401 = "";
  before(async () => {
    html401 = await readFile(
      new URL(
        "../../../../shared/fixtures/onvif/ezviz_ds-2de2c400ig-w-w/Fault_NotAuthorized_HTML401.xml",
        import.meta.url,
      ),
      "utf8",
    );
    server = createServer((req, res) => {
      req.resume();
      const envelope = (inner: string) =>
        `<?xml version="1.0"?><s:Envelope xmlns:s="${NS.soap12}"><s:Body>${inner}</s:Body></s:Envelope>`;
      switch (mode) {
        case "huge": {
          res.writeHead(200, { "Content-Type": "application/soap+xml" });
          const chunk = Buffer.alloc(1024 * 1024, 0x20);
          let sent = 0;
          const pump = () => {
            while (sent < 50 && res.write(chunk)) sent++;
            if (sent < 50) res.once("drain", pump);
            else res.end();
          };
          res.on("error", () => undefined);
          pump();
          return;
        }
        case "laughs":
          res.end(
            `<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]><s:Envelope xmlns:s="${NS.soap12}"><s:Body>&d;</s:Body></s:Envelope>`,
          );
          return;
        case "xxe":
          res.end(
            `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/hostname">]><s:Envelope xmlns:s="${NS.soap12}"><s:Body>&x;</s:Body></s:Envelope>`,
          );
          return;
        case "deep":
          res.end(envelope(`${"<a>".repeat(100_000)}${"</a>".repeat(100_000)}`));
          return;
        case "html401":
          res.writeHead(401, { "Content-Type": "text/html" });
          res.end(html401);
          return;
        case "utf8":
          res.end(
            Buffer.concat([
              Buffer.from(envelope("<x>")),
              Buffer.from([0xc3, 0x28, 0xff]),
              Buffer.from("</x>"),
            ]),
          );
          return;
        default:
          res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(80, "127.0.6.240", resolve));
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  for (const [name, pattern] of [
    ["huge", /more than 1048576 bytes/],
    ["laughs", /DOCTYPE/],
    ["xxe", /DOCTYPE/],
    ["deep", /deeper than 64|exceeds/],
    ["utf8", /not valid UTF-8/],
    ["html401", /not authorized \(HTTP 401\)/],
  ] as const) {
    it(`a ${name} response ends in a clear per-device error`, async () => {
      mode = name;
      await assert.rejects(
        interrogate("http://127.0.6.240/onvif/device_service", { callTimeoutMs: 10_000 }),
        (error: Error) => {
          assert.ok(error instanceof OnvifCallError, String(error));
          assert.match(error.message, pattern);
          assert.match(error.message, /^127\.0\.6\.240/);
          return true;
        },
      );
    });
  }

  it("a ProbeMatch with 1000 XAddrs is refused for that device alone", async () => {
    const responder = createSocket({ type: "udp4", reuseAddr: true });
    await new Promise<void>((resolve) => responder.bind(3702, "127.0.6.241", resolve));
    responder.on("message", (datagram, remote) => {
      const id = /MessageID>([^<]+)</.exec(datagram.toString())?.[1] ?? "";
      const xaddrs = Array.from(
        { length: 1000 },
        (_, i) => `http://127.0.6.241:${1000 + i}/onvif/device_service`,
      ).join(" ");
      const reply = `<s:Envelope xmlns:s="${NS.soap12}" xmlns:a="${NS.wsa}" xmlns:d="${NS.wsd}"><s:Header><a:RelatesTo>${id}</a:RelatesTo></s:Header><s:Body><d:ProbeMatches><d:ProbeMatch><a:EndpointReference><a:Address>urn:uuid:${randomUUID()}</a:Address></a:EndpointReference><d:Types>dn:NetworkVideoTransmitter</d:Types><d:XAddrs>${xaddrs}</d:XAddrs></d:ProbeMatch></d:ProbeMatches></s:Body></s:Envelope>`;
      responder.send(reply, remote.port, remote.address);
    });
    try {
      const { devices } = await discover({
        cidrs: ["127.0.6.241/32"],
        timeoutMs: 1000,
        multicast: false,
      });
      assert.equal(devices.length, 1);
      assert.equal(devices[0]!.xaddr, undefined);
      assert.match(devices[0]!.errors[0] ?? "", /1000 XAddrs/);
    } finally {
      responder.close();
    }
  });
});
