import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  type AuditReport,
  AuditRunner,
  hasBlockingFailure,
  loadAuditData,
  renderHtml,
  settingsFromConfig,
} from "../audit/index.js";
import { formatTable } from "../cli/context.js";
import { type Config, parseConfigText } from "../config/index.js";
import { brokerUrlSchema } from "../protocol/index.js";
import { checkBrokerAccepts } from "../uplink/index.js";
import { CredentialVault } from "../discovery/index.js";
import { CamgateError } from "../errors.js";
import type { Lang } from "../i18n/index.js";
import type { Logger } from "../log/index.js";
import {
  createCsrPem,
  generatePrivateKeyPem,
  readPrivateKey,
  readTlsMaterial,
  SecretSealer,
  verifyBoxCertificate,
  writeNewKey,
} from "../pki/index.js";
import { Store } from "../store/index.js";
import { writeFileAtomic } from "../util/files.js";
import type { Answers, ProvisionState } from "./answers.js";
import { findAccount, handOver } from "./ownership.js";
import type { Prompter } from "./prompter.js";

/** Stops the flow with what to do next; the progress so far is kept. */
export class ProvisionStepError extends CamgateError {}

export interface ProvisionPaths {
  configFile: string;
  stateDir: string;
  stateFile: string;
  key: string;
  csr: string;
  cert: string;
  ca: string;
  reports: string;
}

export interface StepContext {
  answers: Answers;
  prompter: Prompter;
  state: ProvisionState;
  paths: ProvisionPaths;
  say: (line: string) => void;
  logger: Logger;
  /** Language of the audit table and report for the site owner; default: site.locale. */
  lang?: Lang | undefined;
}

export async function askValid(
  ctx: StepContext,
  key: string,
  question: string,
  fallback: string | undefined,
  check: (value: string) => string | undefined,
): Promise<string> {
  for (;;) {
    const value = await ctx.prompter.ask(key, question, fallback);
    const problem = check(value);
    if (!problem) return value;
    if (!ctx.prompter.interactive) throw new ProvisionStepError(`${key}: ${problem}`);
    ctx.say(`  ${problem}`);
  }
}

/** The box's config as provisioning knows it so far; parsing it checks every key. */
export function configText(state: ProvisionState, paths: ProvisionPaths): string {
  const site = state.site;
  const quote = (value: string) => JSON.stringify(value);
  const lines = [
    "# Written by camgate provision. Reference: config.example.yaml; check: camgate config check",
    `site: {id: ${quote(site?.id ?? "")}` +
      (site?.name ? `, name: ${quote(site.name)}` : "") +
      (site?.location ? `, location: {description: ${quote(site.location)}}` : "") +
      "}",
    `store: {path: ${quote(join(paths.stateDir, "camgate.db"))}}`,
    `secrets: {keyFile: ${quote(join(paths.stateDir, "keys", "seal.key"))}}`,
    `storage: {dir: ${quote(join(paths.stateDir, "recordings"))}}`,
    `discovery: {multicast: ${String(state.discovery?.multicast ?? true)}, cidrs: ${JSON.stringify(state.discovery?.cidrs ?? [])}}`,
    `recorder: {enabled: ${String(state.recording ?? true)}}`,
  ];
  if (state.broker)
    lines.push(
      `uplink: {brokers: [${quote(state.broker)}], ca: ${quote(paths.ca)}, cert: ${quote(paths.cert)}, key: ${quote(paths.key)}}`,
    );
  return `${lines.join("\n")}\n`;
}

export function draftConfig(ctx: StepContext): Config {
  return parseConfigText(configText(ctx.state, ctx.paths), ctx.paths.configFile, {});
}

export async function siteStep(ctx: StepContext): Promise<void> {
  const { answers, state } = ctx;
  const id = await askValid(ctx, "site.id", "Site id", answers.site?.id ?? state.site?.id, (id) =>
    /^[a-z0-9][a-z0-9-]{0,62}$/.test(id)
      ? undefined
      : "lower-case letters, digits and '-', at most 63 characters",
  );
  const optional = async (key: "name" | "location", question: string) =>
    answers.site?.[key] ??
    ((ctx.prompter.interactive
      ? await ctx.prompter.ask(`site.${key}`, question, state.site?.[key] ?? "")
      : state.site?.[key]) ||
      undefined);
  state.site = {
    id,
    name: await optional("name", "Site name"),
    location: await optional("location", "Where the box is installed"),
  };
  ctx.say(`site ${id}${state.site.name ? ` (${state.site.name})` : ""}`);
}

export async function identityStep(ctx: StepContext): Promise<void> {
  const { paths } = ctx;
  if (existsSync(paths.key)) ctx.say(`key ${paths.key} exists; kept`);
  else {
    await writeNewKey(paths.key, generatePrivateKeyPem(3072));
    ctx.say(`wrote the box's key ${paths.key} (mode 0600)`);
  }
  const serial = (await readFile("/etc/machine-id", "utf8").catch(() => "")).trim() || hostname();
  const csr = createCsrPem(await readPrivateKey(paths.key), ctx.state.site?.id ?? "", serial);
  await writeFileAtomic(paths.csr, csr);
  ctx.say(`certificate signing request ${paths.csr}; send it to the center's CA:`);
  ctx.say(csr.trimEnd());
}

function noCertificateYet(what: string): ProvisionStepError {
  return new ProvisionStepError(
    `no certificate yet: ${what}, then run camgate provision again (it resumes here)`,
  );
}

/** A file the center hands over; not there yet is a stop with what to do, not a failure. */
async function readIssued(file: string, missing: () => ProvisionStepError): Promise<string> {
  return readFile(file, "utf8").catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") throw missing();
    throw new ProvisionStepError(`cannot read ${file}`, { cause: error });
  });
}

export async function certificateStep(ctx: StepContext): Promise<void> {
  const { answers, paths, prompter } = ctx;
  const certFile =
    answers.certificate?.cert ??
    (await prompter.ask(
      "certificate.cert",
      "Path of the certificate the center issued (empty: not yet)",
      "",
    ));
  if (certFile === "") throw noCertificateYet(`have ${paths.csr} signed by the center's CA`);
  const caFile =
    answers.certificate?.ca ??
    (await prompter.ask("certificate.ca", "Path of the center's CA certificate"));
  const certPem = await readIssued(certFile, () =>
    noCertificateYet(
      `${certFile} does not exist; have ${paths.csr} signed by the center's CA, save the certificate as ${certFile}`,
    ),
  );
  const caPem = await readIssued(
    caFile,
    () =>
      new ProvisionStepError(
        `${caFile} does not exist: copy the center's CA certificate there, then run camgate provision again (it resumes here)`,
      ),
  );
  const summary = verifyBoxCertificate(certPem, caPem, await readPrivateKey(paths.key), {
    siteId: ctx.state.site?.id ?? "",
  });
  await writeFileAtomic(paths.ca, caPem);
  await writeFileAtomic(paths.cert, certPem);
  ctx.say(
    `installed ${paths.cert} (${summary.subject}, ${summary.daysLeft} days left) and CA ${paths.ca}`,
  );
}

export async function uplinkStep(ctx: StepContext): Promise<void> {
  const { answers, state } = ctx;
  state.broker = await askValid(
    ctx,
    "broker",
    "Broker of the commune center (mqtts://host:port)",
    answers.broker ?? state.broker,
    (url) => (brokerUrlSchema.safeParse(url).success ? undefined : "expected mqtts://host:port"),
  );
  const material = await readTlsMaterial({
    ca: ctx.paths.ca,
    cert: ctx.paths.cert,
    key: ctx.paths.key,
  });
  ctx.say(`connecting to ${state.broker} with the box's certificate...`);
  await checkBrokerAccepts(
    state.broker,
    material,
    `camgate-${state.site?.id ?? ""}-provision`,
  ).catch((error: unknown) => {
    throw new ProvisionStepError(
      `cannot connect to ${state.broker}: ${(error as Error).message}; check the address, the firewall and that the broker trusts this CA, then run camgate provision again`,
      { cause: error },
    );
  });
  ctx.say("connected: the broker accepts this box's certificate");
}

/** The audit summary provisioning shows, in the site owner's language. */
const AUDIT_TABLE: Record<Lang, { head: string[]; yes: string; no: string }> = {
  en: {
    head: ["CAMERA", "PASS", "FAIL", "TO CHECK", "HIGH/CRITICAL FAILING"],
    yes: "yes",
    no: "no",
  },
  vi: {
    head: ["CAMERA", "ĐẠT", "KHÔNG ĐẠT", "CẦN KIỂM TRA", "KHÔNG ĐẠT MỨC CAO/NGHIÊM TRỌNG"],
    yes: "có",
    no: "không",
  },
};

export async function auditStep(ctx: StepContext): Promise<void> {
  const config = draftConfig(ctx);
  const store = new Store(config.store.path, ctx.logger.child({ component: "store" }));
  let reports: AuditReport[];
  try {
    const repos = store.open();
    const runner = new AuditRunner({
      repos,
      vault: new CredentialVault(repos, await SecretSealer.open(config.secrets.keyFile)),
      data: loadAuditData(),
      settings: settingsFromConfig(config.audit, {}),
      concurrency: config.audit.concurrency,
      signingKeyFile: config.uplink.key,
      logger: ctx.logger.child({ component: "audit" }),
    });
    const targets = runner.enabledTargets();
    if (targets.length === 0) {
      ctx.say("no camera to audit");
      return;
    }
    ctx.say(`auditing ${targets.length} camera(s) against ${config.audit.baseline}...`);
    reports = (
      await runner.runEach(targets, { onDone: (n) => ctx.say(`  audited ${n}/${targets.length}`) })
    ).map((r) => r.report);
  } finally {
    store.close();
  }
  const lang = ctx.lang ?? config.site.locale;
  const words = AUDIT_TABLE[lang];
  const rows = reports.map((report) => [
    report.camera.address,
    String(report.summary.pass),
    String(report.summary.fail),
    String(report.summary.unknown + report.summary.manual),
    hasBlockingFailure(report) ? words.yes : words.no,
  ]);
  for (const line of formatTable(words.head, rows)) ctx.say(line);
  await mkdir(ctx.paths.reports, { recursive: true, mode: 0o750 });
  const file = join(
    ctx.paths.reports,
    `audit-${new Date().toISOString().replace(/[:.]/g, "-")}.html`,
  );
  await writeFile(
    file,
    renderHtml(reports, {
      lang,
      timeZone: config.site.timezone,
      site: config.site,
      box: hostname(),
    }),
    { mode: 0o640 },
  );
  ctx.say(`report for the camera owners: ${file}`);
}

export async function recordingStep(ctx: StepContext): Promise<void> {
  const answer =
    ctx.answers.recording ??
    /^y/i.test(
      await ctx.prompter.ask(
        "recording",
        "Record every camera? (yes/no)",
        ctx.state.recording === false ? "no" : "yes",
      ),
    );
  ctx.state.recording = answer;
  ctx.say(answer ? "recording: every enabled camera" : "recording: off");
}

export async function configStep(ctx: StepContext, owner: string | undefined): Promise<void> {
  const { paths } = ctx;
  const text = configText(ctx.state, paths);
  parseConfigText(text, paths.configFile, {});
  await writeFileAtomic(paths.configFile, text, 0o640);
  ctx.say(`wrote ${paths.configFile}`);
  if (owner === undefined) return;
  const account = await findAccount(owner);
  if (!account) {
    ctx.say(`no ${owner} account here: the files stay with the user who ran provision`);
    return;
  }
  await handOver(account, paths.stateDir, [paths.configFile, paths.ca]);
  ctx.say(`${paths.stateDir} now belongs to ${owner}; the config files to root, group ${owner}`);
}

export async function serviceStep(ctx: StepContext, enabled: boolean): Promise<void> {
  if (!enabled) {
    ctx.say("start the agent: systemctl enable --now camgate");
    return;
  }
  try {
    await promisify(execFile)("systemctl", ["restart", "camgate"]);
    ctx.say("camgate.service restarted; see: camgate status");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") ctx.say("no systemctl here: start the agent with camgate run");
    else
      throw new ProvisionStepError(
        `systemctl restart camgate failed: ${((error as { stderr?: string }).stderr ?? (error as Error).message).trim()}`,
        { cause: error },
      );
  }
}
