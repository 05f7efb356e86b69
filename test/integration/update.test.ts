import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdir, readdir, readFile, rename, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { type CommandClient as CenterCommands, UpdateServer } from "../../src/center/index.js";
import { linkTarget, readUpdateState } from "../../src/lifecycle/update-state.js";
import { type SignedManifest, signManifest } from "../../src/protocol/index.js";
import { digestFile } from "../../src/update/index.js";
import { makeRelease, manifestPath, type Release } from "../../scripts/release/make-release.js";
import { REPO_ROOT } from "../helpers/cli.js";
import { authorization, CommandClient } from "../helpers/commands.js";
import { AsyncApiContract, type WireMessage } from "../helpers/asyncapi.js";
import { type Identity, TestBroker, TestPki } from "../helpers/mosquitto.js";
import { waitFor } from "../helpers/recording.js";
import { Supervisor } from "../helpers/supervisor.js";
import { Cleanups, tempDir } from "../helpers/temp.js";
import { recordWire, type UplinkWorld } from "../helpers/uplink.js";

const run = promisify(execFile);
const SITE = "site-upd";
/** The upload cap the box runs under; the download shares it. */
const CAP_BITS = 3_000_000;
const CHUNK_BYTES = 16 * 1024;

/** A world on this file's own loopback address. */
async function world(t: Cleanups, dir: string): Promise<UplinkWorld> {
  const host = "127.0.160.7";
  const pki = await TestPki.create(dir);
  const server = await pki.issue("broker", { usage: "server", altNames: [host] });
  await mkdir(join(dir, "broker"));
  const broker = await TestBroker.start(t, { dir: join(dir, "broker"), ca: pki.ca, server, host });
  return {
    dir,
    pki,
    broker,
    centerIdentity: await pki.issue("center"),
    commandsIdentity: await pki.issue("center-commands"),
  };
}

function pem(key: { export(options: { type: "pkcs8" | "spki"; format: "pem" }): string | Buffer }) {
  return (type: "pkcs8" | "spki") => key.export({ type, format: "pem" }).toString();
}

/** A release unpacked as the box keeps it, under another version (package.json rewritten). */
async function unpackAs(tarball: string, dir: string, version: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await run("tar", ["-xzf", tarball, "-C", dir, "--strip-components=1"]);
  const pkg = JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as Record<
    string,
    unknown
  >;
  await writeFile(join(dir, "package.json"), JSON.stringify({ ...pkg, version }));
}

/** The release again under another version, tar'd as npm pack does; `broken`: it cannot start. */
async function repacked(
  good: Release,
  dir: string,
  version: string,
  keyPem: string,
  broken = false,
): Promise<Release> {
  const stage = join(dir, `stage-${version}`);
  await unpackAs(good.tarball, join(stage, "package"), version);
  if (broken)
    await writeFile(
      join(stage, "package/dist/src/main.js"),
      'throw new Error("a broken build");\n',
    );
  const file = `camgate-${version}.tgz`;
  const tarball = join(dir, file);
  await run("tar", ["-czf", tarball, "-C", stage, "package"]);
  const { sha256, size } = await digestFile(tarball);
  const signed = signManifest({ ...good.signed.manifest, version, sha256, size, file }, keyPem);
  await writeFile(manifestPath(tarball), JSON.stringify(signed));
  return { tarball, manifestFile: manifestPath(tarball), signed };
}

interface Event {
  kind: string;
  detail: Record<string, unknown>;
}

describe("signed updates with automatic rollback", () => {
  const t = new Cleanups();
  let dir: string;
  let box: string;
  let stateFile: string;
  let release: Release;
  let updateKey: string;
  let supervisor: Supervisor;
  let commands: CenterCommands;
  let server: UpdateServer;
  let wire: WireMessage[];
  let config: string;

  const events = (): Event[] =>
    wire
      .filter((message) => message.topic === `camgate/v1/${SITE}/events`)
      .map((message) => JSON.parse(message.payload.toString("utf8")) as Event);
  const updateEvents = (kind: string) => events().filter((event) => event.kind === kind);
  const onlineAs = (version: string) =>
    wire.some((message) => {
      if (message.topic !== `camgate/v1/${SITE}/status`) return false;
      const body = JSON.parse(message.payload.toString("utf8")) as Record<string, unknown>;
      return body["state"] === "online" && body["version"] === version;
    });
  let centerKey: string;
  /** Commands are signed by the center: config.apply is taken only then. */
  const send = (name: string, args: Record<string, unknown>) =>
    commands.send(
      SITE,
      name,
      { ...args, ...authorization() },
      {
        timeoutMs: 60_000,
        signingKey: centerKey,
      },
    );
  const offer = (signed: SignedManifest) => send("update.offer", { release: signed });
  const releases = async () => (await readdir(join(box, "releases"))).sort();
  const current = async () => linkTarget(join(box, "current"));

  before(async () => {
    dir = await tempDir(t, "camgate-update-");
    const w = await world(t, dir);
    const keys = generateKeyPairSync("ed25519");
    updateKey = pem(keys.privateKey)("pkcs8");
    await writeFile(join(dir, "update.key"), updateKey, { mode: 0o600 });
    await writeFile(join(dir, "update.pub"), pem(keys.publicKey)("spki"));
    const center = generateKeyPairSync("rsa", { modulusLength: 2048 });
    centerKey = pem(center.privateKey)("pkcs8");
    await writeFile(join(dir, "center.pub"), pem(center.publicKey)("spki"));
    const served = join(dir, "served");
    release = await makeRelease({
      root: REPO_ROOT,
      out: served,
      keyFile: join(dir, "update.key"),
      version: "0.2.0",
      minimumVersion: "0.1.0",
    });
    // The box: releases beside the dependencies (as /opt/camgate/node_modules on the image).
    box = join(dir, "box");
    await mkdir(box);
    await symlink(join(REPO_ROOT, "node_modules"), join(box, "node_modules"));
    await unpackAs(release.tarball, join(box, "releases/0.1.0"), "0.1.0");
    await symlink(join(box, "releases/0.1.0"), join(box, "current"));
    const identity: Identity = await w.pki.issue(SITE);
    stateFile = join(box, "state/update-state.json");
    config = join(box, "camgate.yaml");
    await writeFile(
      config,
      [
        `site: {id: ${SITE}}`,
        `store: {path: ${join(box, "state/camgate.db")}}`,
        `secrets: {keyFile: ${join(box, "state/seal.key")}}`,
        `storage: {dir: ${join(box, "recordings")}, minFreeBytes: 0}`,
        "discovery: {enabled: false}",
        "audit: {enabled: false}",
        "events: {enabled: false}",
        `uplink: {brokers: ["${w.broker.url}"], ca: ${w.pki.ca}, cert: ${identity.cert}, ` +
          `key: ${identity.key}, healthSeconds: 5, reconnectDelayMax: 1s, ` +
          `maxBitsPerSecond: ${CAP_BITS}, chunkBytes: ${CHUNK_BYTES}, ` +
          `commandSigningKey: ${join(dir, "center.pub")}}`,
        `update: {publicKey: ${join(dir, "update.pub")}, releasesDir: ${join(box, "releases")}, ` +
          `currentLink: ${join(box, "current")}, healthTimeout: 2m, maxStarts: 1}`,
        "log: {level: debug, format: json}",
      ].join("\n"),
    );
    await mkdir(join(box, "state"));
    wire = await recordWire(t, w, `camgate/v1/${SITE}/#`);
    commands = await CommandClient.connect(t, w);
    const updates = await w.pki.issue("center-updates");
    server = new UpdateServer({ url: w.broker.url, ca: w.pki.ca, ...updates, dir: served });
    await server.start();
    t.after(() => server.stop());
    supervisor = Supervisor.start(t, {
      base: box,
      config,
      stateFile,
      logFile: join(dir, "agent.log"),
    });
    await waitFor("0.1.0 online", () => onlineAs("0.1.0"), 60_000);
  });
  after(() => t.run());

  it("refuses a tampered manifest, another key's signature, a downgrade and a too old box, each with an event", async () => {
    const { manifest } = release.signed;
    const other = pem(generateKeyPairSync("ed25519").privateKey)("pkcs8");
    const tampered = { ...release.signed, manifest: { ...manifest, sha256: "0".repeat(64) } };
    const replies = [
      await offer(tampered),
      await offer(signManifest(manifest, other)),
      await offer(
        signManifest({ ...manifest, version: "0.0.9", minimumVersion: "0.0.1" }, updateKey),
      ),
      await offer(
        signManifest({ ...manifest, version: "0.9.0", minimumVersion: "0.5.0" }, updateKey),
      ),
    ];
    assert.deepEqual(
      replies.map((reply) => reply.error?.code),
      ["bad_signature", "bad_signature", "refused", "refused"],
    );
    await waitFor("four refusal events", () => updateEvents("update_refused").length === 4, 30_000);
    assert.deepEqual(
      updateEvents("update_refused").map((event) => event.detail["reason"]),
      ["bad_signature", "bad_signature", "downgrade", "too_old"],
    );
    assert.deepEqual(await releases(), ["0.1.0"], "nothing fetched or unpacked");
    assert.equal(server.served.length, 0);
  });

  it("fetches a tampered tarball but unpacks nothing of it", async () => {
    const good = await readFile(release.tarball);
    const bad = Buffer.from(good);
    const middle = Math.floor(bad.length / 2);
    bad[middle] = (bad[middle] ?? 0) ^ 0xff;
    await writeFile(release.tarball, bad);
    try {
      const reply = await offer(release.signed);
      assert.equal(reply.ok, true, JSON.stringify(reply));
      await waitFor("the hash refusal", () => updateEvents("update_refused").length === 5, 60_000);
    } finally {
      await writeFile(release.tarball, good);
    }
    assert.equal(updateEvents("update_refused")[4]?.detail["reason"], "hash_mismatch");
    assert.deepEqual(await releases(), ["0.1.0"], "the bad tarball was not unpacked");
    assert.equal(await current(), join(box, "releases/0.1.0"));
  });

  it("downloads under the cap, resumes after kill -9, installs, restarts and keeps a healthy release", async () => {
    server.served.length = 0;
    const started = performance.now();
    const reply = await offer(release.signed);
    assert.equal(reply.ok, true, JSON.stringify(reply));
    const part = join(box, "releases/.download/0.2.0.part");
    const size = release.signed.manifest.size;
    await waitFor(
      "a part of the download",
      async () => ((await stat(part).catch(() => undefined))?.size ?? 0) >= 4 * CHUNK_BYTES,
      30_000,
      20,
    );
    supervisor.kill9();
    const servedBeforeKill = server.served.length;
    const partial = (await stat(part)).size;
    assert.ok(partial < size, `killed with ${partial} of ${size} bytes`);
    await waitFor("0.2.0 kept", () => updateEvents("update_installed").length === 1, 120_000);
    const seconds = (performance.now() - started) / 1000;
    const resumedAt = server.served.slice(servedBeforeKill).find((r) => r.version === "0.2.0");
    assert.ok(resumedAt && resumedAt.offset > 0, `resumed at ${resumedAt?.offset}`);
    // One-sided: a slow machine only lowers the rate. The bucket holds one chunk of burst.
    const bytes = server.served.length * CHUNK_BYTES;
    assert.ok(bytes <= (CAP_BITS / 8) * seconds + 2 * CHUNK_BYTES, `${bytes} B in ${seconds} s`);
    assert.deepEqual(updateEvents("update_installed")[0]?.detail, {
      version: "0.2.0",
      from: "0.1.0",
      running: "0.2.0",
    });
    assert.ok(onlineAs("0.2.0"));
    assert.equal(await current(), join(box, "releases/0.2.0"));
    assert.equal((await readUpdateState(stateFile)).last?.outcome, "installed");
  });

  it("switches back from a release that cannot start, and says so", async () => {
    const broken = await repacked(release, join(dir, "served"), "0.3.0", updateKey, true);
    await server.reload();
    const reply = await offer(broken.signed);
    assert.equal(reply.ok, true, JSON.stringify(reply));
    await waitFor("the rollback", () => updateEvents("update_rolled_back").length === 1, 120_000);
    const event = updateEvents("update_rolled_back")[0];
    assert.equal(event?.detail["version"], "0.3.0");
    assert.equal(event?.detail["running"], "0.2.0");
    assert.equal(await current(), join(box, "releases/0.2.0"));
    const state = await readUpdateState(stateFile);
    assert.equal(state.pending, null);
    assert.equal(state.last?.outcome, "rolled_back");
    assert.ok(
      supervisor.exits.some((exit) => exit.code === 1),
      "0.3.0 did start and fail",
    );
  });

  it("camgate update apply installs from a file; after a crash before the link moved, the box runs it", async () => {
    await supervisor.stop();
    const next = await repacked(release, join(dir, "usb"), "0.4.0", updateKey);
    const tampered = join(dir, "usb/tampered/camgate-0.4.0.tgz");
    await mkdir(join(dir, "usb/tampered"));
    const bytes = await readFile(next.tarball);
    bytes[100] = (bytes[100] ?? 0) ^ 0x01;
    await writeFile(tampered, bytes);
    const cli = (file: string) =>
      run(process.execPath, [
        join(box, "current/dist/src/main.js"),
        ...["update", "apply", file, "--manifest", next.manifestFile, "--config", config],
      ]).then(
        (done) => ({ code: 0, out: done.stdout }),
        (error: { code: number; stderr: string }) => ({ code: error.code, out: error.stderr }),
      );
    const refused = await cli(tampered);
    assert.equal(refused.code, 1, refused.out);
    assert.match(refused.out, /SHA-256/);
    assert.deepEqual(await releases(), ["0.1.0", "0.2.0", "0.3.0"], "nothing unpacked");
    assert.equal((await readUpdateState(stateFile)).last?.outcome, "refused");
    const applied = await cli(next.tarball);
    assert.equal(applied.code, 0, applied.out);
    assert.equal(await current(), join(box, "releases/0.4.0"));
    // kill -9 between the state's write and the link's move: the link still at 0.2.0.
    await symlink(join(box, "releases/0.2.0"), join(box, "current.tmp"));
    await rename(join(box, "current.tmp"), join(box, "current"));
    supervisor.resume();
    await waitFor("0.4.0 kept", () => updateEvents("update_installed").length === 2, 60_000);
    assert.ok(onlineAs("0.4.0"));
    assert.equal(await current(), join(box, "releases/0.4.0"));
    assert.equal(updateEvents("update_installed")[1]?.detail["from"], "0.2.0");
  });

  it("config.apply: refuses a file the schema refuses, keeps the previous file, restarts on a valid one and keeps it once healthy", async () => {
    const before = await readFile(config, "utf8");
    const invalid = await send("config.apply", { yaml: `${before}\nunknownKey: 1\n` });
    assert.equal(invalid.error?.code, "bad_request", JSON.stringify(invalid));
    assert.match(invalid.error?.message ?? "", /unknownKey/);
    assert.equal(await readFile(config, "utf8"), before);

    const next = before.replace("healthSeconds: 5", "healthSeconds: 6");
    assert.notEqual(next, before);
    const applied = await send("config.apply", { yaml: next });
    assert.equal(applied.ok, true, JSON.stringify(applied));
    await waitFor("the config kept", () => updateEvents("config_applied").length === 1, 60_000);
    assert.equal(await readFile(config, "utf8"), next);
    assert.equal(await readFile(`${config}.previous`, "utf8"), before);

    assert.equal(await current(), join(box, "releases/0.4.0"));
  });

  it("sent nothing docs/asyncapi.yaml does not describe, range requests and update events included", async () => {
    const contract = await AsyncApiContract.load();
    const sent = wire.filter((message) => !message.topic.includes("/cmd/"));
    assert.ok(sent.some((message) => message.topic.endsWith("/update/request")));
    assert.deepEqual(
      sent.flatMap((message) => contract.problems(message)),
      [],
    );
  });
});
