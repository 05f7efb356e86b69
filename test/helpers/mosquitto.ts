import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import forge from "node-forge";
import {
  type Authority,
  createAuthority,
  generatePrivateKeyPem,
  issueCertificate,
} from "../../src/pki/index.js";
import { writeFileAtomic } from "../../src/util/files.js";
import { type CleanupScope, defer } from "./temp.js";
import { waitFor } from "./recording.js";

export interface Identity {
  cert: string;
  key: string;
}

/** A test PKI on disk: a CA, the broker's certificate, and client identities issued on demand. */
export class TestPki {
  private constructor(
    readonly dir: string,
    readonly ca: string,
    private readonly authority: Authority,
  ) {}

  static async create(dir: string, name = "camgate test CA"): Promise<TestPki> {
    const authority = createAuthority(name);
    const ca = join(dir, `${name.replaceAll(" ", "-")}.pem`);
    await writeFileAtomic(ca, authority.certPem);
    return new TestPki(dir, ca, authority);
  }

  /** Issues a certificate (client by default) with its key written 0600. */
  async issue(
    commonName: string,
    options: {
      usage?: "client" | "server";
      altNames?: string[];
      notAfter?: Date;
      notBefore?: Date;
    } = {},
  ): Promise<Identity> {
    const keyPem = generatePrivateKeyPem(2048);
    const key = forge.pki.privateKeyFromPem(keyPem);
    const certPem = issueCertificate(this.authority, {
      commonName,
      publicKey: forge.pki.setRsaPublicKey(key.n, key.e),
      usage: options.usage ?? "client",
      ...(options.altNames ? { altNames: options.altNames } : {}),
      ...(options.notAfter ? { notAfter: options.notAfter } : {}),
      ...(options.notBefore ? { notBefore: options.notBefore } : {}),
    });
    const base = join(this.dir, `${commonName}-${Math.random().toString(36).slice(2, 8)}`);
    await writeFileAtomic(`${base}.pem`, certPem);
    await writeFileAtomic(`${base}.key`, keyPem, 0o600);
    return { cert: `${base}.pem`, key: `${base}.key` };
  }
}

export async function freePort(host = "127.0.0.1"): Promise<number> {
  const server = createServer();
  server.listen(0, host);
  await once(server, "listening");
  const address = server.address();
  server.close();
  await once(server, "close");
  if (typeof address !== "object" || address === null) throw new Error("no port");
  return address.port;
}

/**
 * The ACL of a real deployment: each box (its certificate's CN is its MQTT username) writes only
 * under its own site root and reads only its commands; the center reads everything.
 */
export const DEPLOYMENT_ACL = [
  "user center",
  "topic read camgate/v1/#",
  "topic write camgate/v1/+/cmd/#",
  "",
  "pattern write camgate/v1/%u/#",
  "pattern read camgate/v1/%u/cmd/#",
  "",
].join("\n");

/**
 * Debian's mosquitto on a free loopback port with one mutual-TLS listener: client certificates
 * required, the certificate's CN as username, the deployment ACL, and persistence so sessions
 * outlive a restart. Stopped when the test ends.
 */
export class TestBroker {
  #child: ChildProcess | undefined;
  readonly url: string;

  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly host: string,
  ) {
    this.url = `mqtts://${host}:${port}`;
  }

  static async start(
    t: CleanupScope,
    options: { dir: string; ca: string; server: Identity; host?: string },
  ): Promise<TestBroker> {
    const host = options.host ?? "127.0.0.1";
    const broker = new TestBroker(options.dir, await freePort(host), host);
    await writeFile(join(options.dir, "acl"), DEPLOYMENT_ACL);
    await writeFile(
      join(options.dir, "mosquitto.conf"),
      [
        "per_listener_settings false",
        "allow_anonymous false",
        "user root",
        "persistence true",
        `persistence_location ${options.dir}/`,
        "autosave_interval 1",
        `log_dest file ${join(options.dir, "mosquitto.log")}`,
        "log_type all",
        "connection_messages true",
        `acl_file ${join(options.dir, "acl")}`,
        `listener ${broker.port} ${host}`,
        `cafile ${options.ca}`,
        `certfile ${options.server.cert}`,
        `keyfile ${options.server.key}`,
        "require_certificate true",
        "use_identity_as_username true",
        "tls_version tlsv1.2",
        "",
      ].join("\n"),
    );
    defer(t, () => broker.stop());
    await broker.resume();
    return broker;
  }

  /** Starts (again) on the same port, with the same persistent state. */
  async resume(): Promise<void> {
    const before = (await this.log()).length;
    const child = spawn("mosquitto", ["-c", join(this.dir, "mosquitto.conf")], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    this.#child = child;
    await waitFor(
      "mosquitto listening",
      async () => {
        if (child.exitCode !== null) throw new Error(`mosquitto exited: ${stderr}`);
        return (await this.log()).slice(before).includes(`listen socket on port ${this.port}`);
      },
      20_000,
      50,
    );
  }

  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null) return;
    child.kill("SIGTERM");
    await once(child, "exit");
  }

  async log(): Promise<string> {
    return readFile(join(this.dir, "mosquitto.log"), "utf8").catch(() => "");
  }
}
