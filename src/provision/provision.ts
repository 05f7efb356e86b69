import { dirname, join } from "node:path";
import { CamgateError, ExitCode } from "../errors.js";
import type { Lang } from "../i18n/index.js";
import type { Logger } from "../log/index.js";
import { currentUser, mayWriteIn } from "../util/file-access.js";
import { type Answers, loadState, type ProvisionState, saveState } from "./answers.js";
import type { Prompter } from "./prompter.js";
import { camerasStep } from "./cameras-step.js";
import {
  auditStep,
  certificateStep,
  configStep,
  identityStep,
  type ProvisionPaths,
  recordingStep,
  serviceStep,
  siteStep,
  type StepContext,
  uplinkStep,
} from "./steps.js";

export const PROVISION_STEPS = [
  "site",
  "identity",
  "certificate",
  "uplink",
  "cameras",
  "audit",
  "recording",
  "config",
  "service",
] as const;
export type ProvisionStep = (typeof PROVISION_STEPS)[number];

const TITLES: Record<ProvisionStep, string> = {
  site: "site",
  identity: "key and certificate signing request",
  certificate: "certificate from the center",
  uplink: "broker and connection test",
  cameras: "cameras and their credentials",
  audit: "security audit",
  recording: "recording",
  config: "configuration",
  service: "service",
};

export interface ProvisionOptions {
  configFile: string;
  stateDir: string;
  answers: Answers;
  prompter: Prompter;
  /** Steps to do again although an earlier run completed them. */
  redo: ReadonlySet<ProvisionStep>;
  /** Restart camgate.service at the end (systemctl). */
  service: boolean;
  /** The service account that gets the data directory at the end (root runs only). */
  owner?: string | undefined;
  /** Language of the audit table and report; default: the config's site.locale. */
  lang?: Lang | undefined;
  say: (line: string) => void;
  logger: Logger;
}

export function provisionPaths(configFile: string, stateDir: string): ProvisionPaths {
  const configDir = dirname(configFile);
  return {
    configFile,
    stateDir,
    stateFile: join(stateDir, "provision.json"),
    key: join(stateDir, "keys", "box.key"),
    csr: join(stateDir, "box.csr"),
    // Beside the key, in the state directory the agent may write: renewal replaces both.
    cert: join(stateDir, "keys", "box.pem"),
    ca: join(configDir, "ca.pem"),
    reports: join(stateDir, "reports"),
  };
}

/** Provisioning runs as root, or with directories of one's own: said before any question. */
async function assertWritable(options: ProvisionOptions): Promise<void> {
  const needed = [
    [options.stateDir, "--state-dir"],
    [dirname(options.configFile), "--config-out"],
  ] as const;
  const denied: string[] = [];
  for (const [dir, option] of needed)
    if (!(await mayWriteIn(dir))) denied.push(`${dir} (${option})`);
  if (denied.length === 0) return;
  throw new CamgateError(
    `provision must write ${denied.join(" and ")}, which user ${currentUser()} may not: run it as root (sudo camgate provision), or choose directories you can write with --state-dir and --config-out`,
    { exitCode: ExitCode.usage },
  );
}

/**
 * The technician's flow, step by step. Each step's outcome is saved before the next starts, so
 * a run that stops (a certificate not issued yet, a broker not reachable) resumes where it
 * stopped; every file is written whole or not at all.
 */
export async function provision(options: ProvisionOptions): Promise<ProvisionState> {
  const paths = provisionPaths(options.configFile, options.stateDir);
  await assertWritable(options);
  const state = await loadState(paths.stateFile);
  const ctx: StepContext = {
    answers: options.answers,
    prompter: options.prompter,
    state,
    paths,
    say: options.say,
    logger: options.logger,
    lang: options.lang,
  };
  const run: Record<ProvisionStep, () => Promise<void>> = {
    site: () => siteStep(ctx),
    identity: () => identityStep(ctx),
    certificate: () => certificateStep(ctx),
    uplink: () => uplinkStep(ctx),
    cameras: () => camerasStep(ctx),
    audit: () => auditStep(ctx),
    recording: () => recordingStep(ctx),
    config: () => configStep(ctx, options.owner),
    service: () => serviceStep(ctx, options.service),
  };
  for (const [index, step] of PROVISION_STEPS.entries()) {
    const heading = `[${index + 1}/${PROVISION_STEPS.length}] ${TITLES[step]}`;
    // The config and the service follow whatever changed before them.
    const always = step === "config" || step === "service";
    if (state.done.includes(step) && !options.redo.has(step) && !always) {
      options.say(`${heading}: done earlier (--redo ${step} to do it again)`);
      continue;
    }
    options.say(heading);
    await run[step]();
    if (!state.done.includes(step)) state.done.push(step);
    await saveState(paths.stateFile, state);
  }
  return state;
}
