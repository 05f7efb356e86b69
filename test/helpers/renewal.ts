import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { generateKeyPairSync } from "node:crypto";
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { Center, centerConfigSchema } from "../../src/center/index.js";
import { silentLogger } from "../../src/log/index.js";
import { Store } from "../../src/store/index.js";
import { cleanEnv, collect, type CliResult, MAIN_JS } from "./cli.js";
import { type Identity, TestBroker, TestPki } from "./mosquitto.js";
import { type CleanupScope, defer } from "./temp.js";
import { uplinkLines, type UplinkWorld } from "./uplink.js";

const run = promisify(execFile);

/** The broker's address: this suite's own loopback address. */
export const RENEWAL_HOST = "127.0.150.1";
export const DAY_MS = 86_400_000;

/** A CA, mosquitto (trusting that CA) on RENEWAL_HOST with the deployment ACL, the center's identities. */
export async function renewalWorld(t: CleanupScope, dir: string): Promise<UplinkWorld> {
  const pki = await TestPki.create(dir);
  const server = await pki.issue("broker", { usage: "server", altNames: [RENEWAL_HOST] });
  const brokerDir = join(dir, "broker");
  await mkdir(brokerDir, { recursive: true });
  const broker = await TestBroker.start(t, {
    dir: brokerDir,
    ca: pki.ca,
    server,
    host: RENEWAL_HOST,
  });
  return {
    dir,
    pki,
    broker,
    centerIdentity: await pki.issue("center"),
    commandsIdentity: await pki.issue("center-commands"),
  };
}

/** The reference center with its issuing role: the world's CA key signs renewed certificates. */
export async function issuingCenter(
  t: CleanupScope,
  world: UplinkWorld,
  dir: string,
): Promise<Center> {
  const center = new Center({
    config: centerConfigSchema.parse({
      brokers: [world.broker.url],
      ca: world.pki.ca,
      ...world.centerIdentity,
      dir,
      issuer: { ca: world.pki.ca, key: world.pki.caKey, days: 90 },
    }),
    logger: silentLogger(),
  });
  await center.start(new AbortController().signal);
  defer(t, () => center.stop());
  await center.subscribed;
  return center;
}

export interface RenewalBox {
  site: string;
  dir: string;
  /** The box's key and certificate, where the config says (`uplink.key`, `uplink.cert`). */
  identity: Identity;
  configFile: string;
  storePath: string;
}

/** A box whose certificate ends in `daysLeft` days, its files in a folder of its own. */
export async function renewalBox(
  world: UplinkWorld,
  dir: string,
  site: string,
  options: { daysLeft: number; extraUplink?: string },
): Promise<RenewalBox> {
  const boxDir = join(dir, site);
  await mkdir(boxDir, { recursive: true, mode: 0o700 });
  const issued = await world.pki.issue(site, {
    notAfter: new Date(Date.now() + options.daysLeft * DAY_MS),
  });
  const identity = { key: join(boxDir, "box.key"), cert: join(boxDir, "box.pem") };
  await copyFile(issued.key, identity.key);
  await copyFile(issued.cert, identity.cert);
  const storePath = join(boxDir, "box.db");
  const configFile = join(boxDir, "box.yaml");
  await writeFile(
    configFile,
    [
      `site: {id: ${site}}`,
      `store: {path: ${storePath}}`,
      `secrets: {keyFile: ${join(boxDir, "seal.key")}}`,
      `storage: {dir: ${join(boxDir, "recordings")}}`,
      "discovery: {enabled: false}",
      "audit: {enabled: false}",
      "recorder: {enabled: false}",
      "events: {enabled: false}",
      "log: {level: warn, format: json}",
      uplinkLines(world, identity, options.extraUplink ?? ""),
    ].join("\n"),
  );
  await mkdir(join(boxDir, "recordings"));
  return { site, dir: boxDir, identity, configFile, storePath };
}

/** A center's command-signing key pair: the private PEM, and the public half in a file. */
export async function commandKeys(
  dir: string,
): Promise<{ privatePem: string; publicFile: string }> {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  const publicFile = join(dir, "center-commands.pub.pem");
  await writeFile(publicFile, publicKey);
  return { privatePem: privateKey, publicFile };
}

/** `camgate run` as a child process; `crashAt` makes it kill itself at that renewal step. */
export function runBoxProcess(
  box: RenewalBox,
  crashAt?: string,
): { result: Promise<CliResult>; kill: () => void } {
  const child = spawn(process.execPath, [MAIN_JS, "run", "--config", box.configFile], {
    env: cleanEnv(crashAt === undefined ? {} : { TEST_CAMGATE_CRASH_AT: crashAt }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  return {
    result: collect(child),
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
  };
}

/** The box's stored events of one kind (read as `camgate events list` reads them). */
export function storedEvents(box: RenewalBox, kind: string): Record<string, unknown>[] {
  if (!existsSync(box.storePath)) return [];
  const store = new Store(box.storePath, silentLogger());
  try {
    return store
      .open()
      .events.list({ kind })
      .map((event) => event.detail);
  } finally {
    store.close();
  }
}

/** openssl, as an outside peer: its stdout. */
export async function openssl(args: readonly string[]): Promise<string> {
  return (await run("openssl", [...args])).stdout;
}

/** The certificate's serial as openssl prints it (upper-case hex). */
export async function opensslSerial(certFile: string): Promise<string> {
  const out = await openssl(["x509", "-noout", "-serial", "-in", certFile]);
  return out.trim().replace(/^serial=/, "");
}

/** The public key of a certificate and of a private key, as openssl derives them. */
export async function pairMatches(identity: Identity): Promise<boolean> {
  const ofCert = await openssl(["x509", "-noout", "-pubkey", "-in", identity.cert]);
  const ofKey = await openssl(["pkey", "-pubout", "-in", identity.key]);
  return ofCert === ofKey;
}

/** The certificate the center kept as the box's latest `status` (the connection's own). */
export async function centerSeesSerial(centerDir: string, site: string): Promise<string | null> {
  const text = await readFile(join(centerDir, site, "status.json"), "utf8").catch(() => "");
  if (!text) return null;
  const record = JSON.parse(text) as {
    payload: { state?: string; certificate?: { serialNumber?: string } };
  };
  if (record.payload.state !== "online") return null;
  return record.payload.certificate?.serialNumber ?? null;
}
