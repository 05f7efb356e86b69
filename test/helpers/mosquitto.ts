import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import forge from "node-forge";
import {
  type Authority,
  createAuthority,
  generatePrivateKeyPem,
  issueCertificate,
} from "../../src/pki/index.js";
import { freePort, MosquittoBroker } from "../../src/demo/index.js";
import { writeFileAtomic } from "../../src/util/files.js";
import { type CleanupScope, defer } from "./temp.js";

export interface Identity {
  cert: string;
  key: string;
}

const run = promisify(execFile);

function serial(): string {
  return `0x${randomBytes(12).toString("hex")}`;
}

function unique(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * `openssl ca` as a small center runs it: its own database and serial file, a policy that asks
 * for a CN and keeps the usual optional attributes, and client extensions.
 */
function opensslCaConfig(dir: string, ca: string, caKey: string): string {
  return [
    "[ca]",
    "default_ca = center",
    "[center]",
    `dir = ${dir}`,
    "database = $dir/index.txt",
    "serial = $dir/serial",
    "new_certs_dir = $dir/newcerts",
    `certificate = ${ca}`,
    `private_key = ${caKey}`,
    "default_md = sha256",
    "default_days = 365",
    "policy = policy_box",
    "x509_extensions = box_cert",
    "copy_extensions = none",
    "unique_subject = no",
    "email_in_dn = no",
    "[policy_box]",
    "countryName = optional",
    "organizationName = optional",
    "organizationalUnitName = optional",
    "commonName = supplied",
    "serialNumber = optional",
    "[box_cert]",
    "basicConstraints = CA:FALSE",
    "keyUsage = critical, digitalSignature, keyEncipherment",
    "extendedKeyUsage = clientAuth",
    "subjectKeyIdentifier = hash",
    "authorityKeyIdentifier = keyid, issuer",
    "",
  ].join("\n");
}

/**
 * A test PKI on disk: a CA, the broker's certificate, and client identities issued on demand.
 * Box CSRs are signed by the openssl CLI, as a center does, not by our own code.
 */
export class TestPki {
  private constructor(
    readonly dir: string,
    readonly ca: string,
    readonly caKey: string,
    private readonly authority: Authority,
  ) {}

  static async create(dir: string, name = "camgate test CA"): Promise<TestPki> {
    const authority = createAuthority(name);
    const ca = join(dir, `${name.replaceAll(" ", "-")}.pem`);
    const caKey = join(dir, `${name.replaceAll(" ", "-")}.key`);
    await writeFileAtomic(ca, authority.certPem);
    await writeFileAtomic(caKey, authority.keyPem, 0o600);
    return new TestPki(dir, ca, caKey, authority);
  }

  async #csrFile(csrPem: string): Promise<string> {
    const file = join(this.dir, `${unique("request")}.csr`);
    await writeFile(file, csrPem);
    return file;
  }

  /**
   * Signs a box's CSR the ordinary way, `openssl x509 -req -CA`: the subject stays the CSR's
   * (CN, serialNumber, O) and, without `extensions`, the certificate has none (version 1).
   */
  async sign(csrPem: string, extensions?: string): Promise<string> {
    const file = join(this.dir, `${unique("signed")}.pem`);
    const args = ["x509", "-req", "-in", await this.#csrFile(csrPem)];
    args.push("-CA", this.ca, "-CAkey", this.caKey, "-set_serial", serial());
    args.push("-days", "30", "-sha256", "-out", file);
    if (extensions !== undefined) {
      const extfile = join(this.dir, `${unique("ext")}.cnf`);
      await writeFile(extfile, extensions);
      args.push("-extfile", extfile);
    }
    await run("openssl", args);
    return file;
  }

  /** Signs a box's CSR with `openssl ca` and a real configuration (see opensslCaConfig). */
  async signWithOpensslCa(csrPem: string): Promise<string> {
    const caDir = join(this.dir, "openssl-ca");
    const config = join(caDir, "openssl.cnf");
    await mkdir(join(caDir, "newcerts"), { recursive: true });
    if (!(await readFile(config, "utf8").catch(() => undefined))) {
      await writeFile(join(caDir, "index.txt"), "");
      await writeFile(join(caDir, "serial"), "1000\n");
      await writeFile(config, opensslCaConfig(caDir, this.ca, this.caKey));
    }
    const file = join(this.dir, `${unique("openssl-ca")}.pem`);
    await run("openssl", [
      "ca",
      "-batch",
      "-notext",
      "-config",
      config,
      "-in",
      await this.#csrFile(csrPem),
      "-out",
      file,
    ]);
    return file;
  }

  /**
   * The step-ca / SPIFFE style: an intermediate CA (EC P-256) under this CA issues the box's
   * certificate with the CA's own subject and the site in a URI subjectAltName; the certificate
   * file holds the leaf and the intermediate, the CA file stays the root.
   */
  async signStepCaStyle(
    csrPem: string,
    options: { subject: string; uri: string },
  ): Promise<{ cert: string; leafOnly: string }> {
    const base = join(this.dir, unique("step"));
    await run("openssl", [
      ...["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"],
      ...["-subj", "/O=center/CN=center Intermediate CA", "-keyout", `${base}-int.key`],
      ...["-out", `${base}-int.csr`],
    ]);
    await writeFile(
      `${base}-int.ext`,
      "basicConstraints = critical, CA:TRUE, pathlen:0\nkeyUsage = critical, keyCertSign, cRLSign\n",
    );
    await run("openssl", [
      ...["x509", "-req", "-in", `${base}-int.csr`, "-CA", this.ca, "-CAkey", this.caKey],
      ...["-set_serial", serial(), "-days", "30", "-extfile", `${base}-int.ext`],
      ...["-out", `${base}-int.pem`],
    ]);
    await writeFile(
      `${base}-leaf.ext`,
      [
        "keyUsage = critical, digitalSignature, keyEncipherment",
        "extendedKeyUsage = serverAuth, clientAuth",
        `subjectAltName = URI:${options.uri}`,
        "",
      ].join("\n"),
    );
    await run("openssl", [
      ...["x509", "-req", "-in", await this.#csrFile(csrPem), "-subj", options.subject],
      ...["-CA", `${base}-int.pem`, "-CAkey", `${base}-int.key`, "-set_serial", serial()],
      ...["-days", "1", "-extfile", `${base}-leaf.ext`, "-out", `${base}-leaf.pem`],
    ]);
    const leaf = await readFile(`${base}-leaf.pem`, "utf8");
    const intermediate = await readFile(`${base}-int.pem`, "utf8");
    await writeFile(`${base}-chain.pem`, leaf + intermediate);
    return { cert: `${base}-chain.pem`, leafOnly: `${base}-leaf.pem` };
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
