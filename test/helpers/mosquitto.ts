import { readFile } from "node:fs/promises";
import { join } from "node:path";
import forge from "node-forge";
import {
  type Authority,
  createAuthority,
  generatePrivateKeyPem,
  issueCertificate,
  issueFromCsr,
} from "../../src/pki/index.js";
import { freePort, MosquittoBroker } from "../../src/demo/index.js";
import { writeFileAtomic } from "../../src/util/files.js";
import { type CleanupScope, defer } from "./temp.js";

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

  /** Signs a box's CSR as the center's CA does; returns the certificate's file. */
  async sign(csrPem: string): Promise<string> {
    const file = join(this.dir, `signed-${Math.random().toString(36).slice(2, 8)}.pem`);
    await writeFileAtomic(file, issueFromCsr(this.authority, csrPem));
    return file;
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

/**
 * Debian's mosquitto on a free loopback port with one mutual-TLS listener: client certificates
 * required, the certificate's CN as username, the deployment ACL, and persistence so sessions
 * outlive a restart. Stopped when the test ends; stop() and resume() make an outage.
 */
export class TestBroker {
  #broker: MosquittoBroker | undefined;
  readonly url: string;

  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly host: string,
    private readonly tls: { ca: string; cert: string; key: string },
  ) {
    this.url = `mqtts://${host}:${port}`;
  }

  static async start(
    t: CleanupScope,
    options: { dir: string; ca: string; server: Identity; host?: string },
  ): Promise<TestBroker> {
    const host = options.host ?? "127.0.0.1";
    const broker = new TestBroker(options.dir, await freePort(host), host, {
      ca: options.ca,
      ...options.server,
    });
    defer(t, () => broker.stop());
    await broker.resume();
    return broker;
  }

  /** Starts (again) on the same port, with the same persistent state. */
  async resume(): Promise<void> {
    const broker = new MosquittoBroker({
      dir: this.dir,
      host: this.host,
      port: this.port,
      ...this.tls,
    });
    await broker.start(new AbortController().signal);
    this.#broker = broker;
  }

  async stop(): Promise<void> {
    const broker = this.#broker;
    this.#broker = undefined;
    await broker?.stop();
  }

  async log(): Promise<string> {
    return readFile(join(this.dir, "mosquitto.log"), "utf8").catch(() => "");
  }
}
