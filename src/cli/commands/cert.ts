import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { CamgateError, ExitCode } from "../../errors.js";
import {
  boxSerial,
  createCsrPem,
  createDevPki,
  generatePrivateKeyPem,
  readPrivateKey,
  summarize,
  verifyBoxCertificate,
  writeNewKey,
} from "../../pki/index.js";
import { setTimeout as sleep } from "node:timers/promises";
import { renewRequestFile } from "../../cert-renewal/index.js";
import { parseDuration } from "../../config/index.js";
import { writeFileAtomic } from "../../util/files.js";
import { withStore } from "../camera-access.js";
import {
  type CliContext,
  type CliOutcome,
  cliLogger,
  exitWith,
  globalOptions,
  loadCommandConfig,
  printJson,
  printLines,
} from "../context.js";

/** An explicit path, or the one the configuration names for this file. */
async function pathFor(
  explicit: string | undefined,
  key: "key" | "cert" | "ca",
  command: Command,
  ctx: CliContext,
): Promise<string> {
  if (explicit) return explicit;
  const { config } = await loadCommandConfig(command, ctx);
  const configured = config.uplink[key];
  if (!configured)
    throw new CamgateError(
      `uplink.${key} is not set in the configuration; give the path with an option`,
      { exitCode: ExitCode.usage },
    );
  return configured;
}

/** A PEM file the command needs; a missing or unreadable one is said plainly, with what to do. */
async function readPem(path: string, missing: string): Promise<string> {
  return readFile(path, "utf8").catch((error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new CamgateError(`${path} does not exist: ${missing}`);
    throw new CamgateError(`cannot read ${path}`, { cause: error });
  });
}

/** The site the certificate must name: --site, or the configuration's site id. */
async function siteFor(explicit: string | undefined, command: Command, ctx: CliContext) {
  return explicit ?? (await loadCommandConfig(command, ctx)).config.site.id;
}

export function registerCertCommands(program: Command, ctx: CliContext, outcome: CliOutcome): void {
  const cert = program.command("cert").description("the box's key and certificate for the uplink");

  cert
    .command("keygen")
    .description("create the box's private key (RSA, written 0600; never replaces an existing key)")
    .option("--key <file>", "where to write it (default: uplink.key)")
    .option("--bits <n>", "RSA key size", "3072")
    .action(
      exitWith(outcome, async (options: { key?: string; bits: string }, command: Command) => {
        const bits = Number(options.bits);
        if (![2048, 3072, 4096].includes(bits))
          throw new CamgateError("--bits is 2048, 3072 or 4096", { exitCode: ExitCode.usage });
        const path = await pathFor(options.key, "key", command, ctx);
        await writeNewKey(path, generatePrivateKeyPem(bits));
        printLines(ctx, [`wrote ${bits}-bit key ${path} (mode 0600)`]);
        return ExitCode.ok;
      }),
    );

  cert
    .command("csr")
    .description("print a certificate signing request for the center's CA (CN = site id)")
    .requiredOption("--cn <siteId>", "common name: the site id")
    .option("--key <file>", "the box's key (default: uplink.key)")
    .option("-o, --out <file>", "also write the CSR to this file")
    .action(
      exitWith(
        outcome,
        async (options: { cn: string; key?: string; out?: string }, command: Command) => {
          const keyPem = await readPrivateKey(await pathFor(options.key, "key", command, ctx));
          const csr = createCsrPem(keyPem, options.cn, await boxSerial());
          if (options.out) await writeFileAtomic(options.out, csr);
          ctx.stdout.write(csr);
          return ExitCode.ok;
        },
      ),
    );

  cert
    .command("install")
    .description(
      "check an issued certificate (key, chain to the CA, validity, clientAuth, site named by CN or subjectAltName), then install it and the CA",
    )
    .argument("<cert>", "the certificate the center issued (PEM)")
    .requiredOption("--ca <file>", "the center's CA certificate (PEM)")
    .option("--key <file>", "the box's key (default: uplink.key)")
    .option("--site <id>", "the site the certificate must name (default: site.id)")
    .option("--cert-out <file>", "where to install the certificate (default: uplink.cert)")
    .option("--ca-out <file>", "where to install the CA (default: uplink.ca)")
    .action(
      exitWith(
        outcome,
        async (
          certFile: string,
          options: { ca: string; key?: string; site?: string; certOut?: string; caOut?: string },
          command: Command,
        ) => {
          const certPem = await readPem(certFile, "give the certificate the center issued");
          const caPem = await readPem(options.ca, "give the center's CA certificate with --ca");
          const keyPem = await readPrivateKey(await pathFor(options.key, "key", command, ctx));
          const summary = verifyBoxCertificate(certPem, caPem, keyPem, {
            siteId: await siteFor(options.site, command, ctx),
          });
          const certOut = await pathFor(options.certOut, "cert", command, ctx);
          const caOut = await pathFor(options.caOut, "ca", command, ctx);
          await writeFileAtomic(caOut, caPem);
          await writeFileAtomic(certOut, certPem);
          if (globalOptions(command).json) printJson(ctx, summary);
          else
            printLines(ctx, [
              `installed ${certOut} (${summary.subject}, ${summary.daysLeft} days left) and CA ${caOut}`,
            ]);
          return ExitCode.ok;
        },
      ),
    );

  cert
    .command("renew")
    .description(
      "ask the running agent to renew the certificate over the uplink now (new key, CSR to the center, install, reconnect); waits for the outcome",
    )
    .option("--wait <duration>", "how long to wait for the outcome (0: do not wait)", "5m")
    .action(
      exitWith(outcome, async (options: { wait: string }, command: Command) => {
        const waitMs = options.wait === "0" ? 0 : parseDuration(options.wait);
        if (waitMs === undefined)
          throw new CamgateError("--wait is a duration such as 90s or 5m", {
            exitCode: ExitCode.usage,
          });
        const { config } = await loadCommandConfig(command, ctx);
        const key = await pathFor(undefined, "key", command, ctx);
        const askedMs = Date.now();
        await writeFileAtomic(renewRequestFile(key), `${new Date(askedMs).toISOString()}\n`, 0o600);
        if (waitMs === 0) {
          printLines(ctx, ["asked the agent to renew the certificate (camgate events list)"]);
          return ExitCode.ok;
        }
        const logger = cliLogger(command, ctx, config);
        const deadline = askedMs + waitMs;
        for (;;) {
          const found = await withStore(config, logger, (repos) =>
            ["certificate_renewed", "certificate_renewal_failed"].flatMap((kind) =>
              repos.events.list({ kind, sinceMs: askedMs }),
            ),
          );
          const [event] = found;
          if (event) {
            if (globalOptions(command).json) printJson(ctx, event);
            else printLines(ctx, [`${event.kind}: ${JSON.stringify(event.detail)}`]);
            return event.kind === "certificate_renewed" ? ExitCode.ok : ExitCode.failure;
          }
          if (Date.now() >= deadline)
            throw new CamgateError(
              `no outcome within ${options.wait}: is the agent running and the uplink up? The request stands (camgate events list --kind certificate_renewed)`,
            );
          await sleep(1000);
        }
      }),
    );

  cert
    .command("show")
    .description("subject, issuer, validity, days left and fingerprint of the box's certificate")
    .option("--cert <file>", "certificate (default: uplink.cert)")
    .action(
      exitWith(outcome, async (options: { cert?: string }, command: Command) => {
        const summary = summarize(
          await readPem(
            await pathFor(options.cert, "cert", command, ctx),
            "no certificate is installed yet; make a CSR (camgate cert csr, or camgate provision), have the center's CA sign it, then install it with camgate cert install CERT --ca CA",
          ),
        );
        if (globalOptions(command).json) printJson(ctx, summary);
        else
          printLines(ctx, [
            `subject      ${summary.subject}`,
            `issuer       ${summary.issuer}`,
            `valid        ${summary.notBefore} to ${summary.notAfter} (${summary.daysLeft} days left)`,
            `fingerprint  ${summary.fingerprintSha256}`,
          ]);
        return ExitCode.ok;
      }),
    );

  program
    .command("pki")
    .description("development PKI (tests and demos; production certificates come from the center)")
    .command("dev-ca")
    .description(
      "create a CA, a broker certificate and client certificates for the site and the center",
    )
    .requiredOption("--out <dir>", "directory to write into")
    .option("--site <id>", "site id for the client certificate", "dev-site")
    .option(
      "--broker-name <name>",
      "broker host name or IP (repeatable)",
      (value: string, all: string[]) => [...all, value],
      [],
    )
    .action(
      exitWith(
        outcome,
        async (options: { out: string; site: string; brokerName: string[] }, command: Command) => {
          const names =
            options.brokerName.length > 0 ? options.brokerName : ["localhost", "127.0.0.1"];
          const files = await createDevPki(options.out, options.site, names);
          if (globalOptions(command).json) printJson(ctx, files);
          else
            printLines(
              ctx,
              Object.entries(files).map(([what, path]) => `${what.padEnd(12)} ${path}`),
            );
          return ExitCode.ok;
        },
      ),
    );
}
