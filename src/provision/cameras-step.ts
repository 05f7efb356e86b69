import { formatTable } from "../cli/context.js";
import {
  ApprovalError,
  approveCamera,
  CredentialVault,
  discover,
  Inventory,
  surveyDevice,
} from "../discovery/index.js";
import { SecretSealer } from "../pki/index.js";
import { type CameraRecord, Store } from "../store/index.js";
import type { Credentials } from "./answers.js";
import { MissingAnswerError, type Prompter } from "./prompter.js";
import { askValid, draftConfig, ProvisionStepError, type StepContext } from "./steps.js";

/** Times a technician is asked again for a camera that refused its credentials. */
const CREDENTIAL_TRIES = 3;

/**
 * Finds the cameras, shows them, and approves the ones the technician selects: each is
 * interrogated with its credentials (its own, else the site default) and pinned. Nothing is
 * sent to a device before the technician has selected it. A camera that refuses its credentials
 * is asked for again on a terminal; a scripted run stops, naming it.
 */
export async function camerasStep(ctx: StepContext): Promise<void> {
  const { answers, state, prompter } = ctx;
  const cidrs = await askCidrs(ctx);
  state.discovery = {
    cidrs,
    multicast: answers.discovery?.multicast ?? state.discovery?.multicast ?? true,
  };
  const config = draftConfig(ctx);
  ctx.say(`looking for cameras (${cidrs.length > 0 ? cidrs.join(", ") : "multicast"})...`);
  let found = 0;
  const { devices, warnings } = await discover({
    cidrs,
    interfaces: [],
    multicast: state.discovery.multicast,
    timeoutMs: config.discovery.probeTimeout,
    onDevice: () => ctx.say(`  found ${++found}`),
  });
  for (const warning of warnings) ctx.say(`  warning: ${warning}`);
  if (devices.length === 0) {
    ctx.say(
      "no camera answered; run camgate provision --redo cameras once they are on the network",
    );
    return;
  }
  const store = new Store(config.store.path, ctx.logger.child({ component: "store" }));
  try {
    const repos = store.open();
    const vault = new CredentialVault(repos, await SecretSealer.open(config.secrets.keyFile));
    const deps = {
      repos,
      inventory: new Inventory(repos),
      vault,
      callTimeoutMs: config.discovery.callTimeout,
    };
    const cameras: CameraRecord[] = [];
    for (const device of devices) {
      if (!device.xaddr) continue;
      const result = await surveyDevice(device, device.xaddr, {
        ...deps,
        limits: config.discovery,
        autoApprove: false,
      });
      if ("camera" in result) cameras.push(result.camera);
      else ctx.say(`  ${device.addresses[0] ?? device.urn}: no ONVIF answer, left out`);
    }
    for (const line of formatTable(
      ["CAMERA", "ADDRESS", "MODEL", "STATUS"],
      cameras.map((c) => [c.id, c.ip ?? "", modelOf(c), statusOf(c)]),
    ))
      ctx.say(line);
    const chosen = await chooseCameras(ctx, cameras);
    const fallback =
      answers.credentials?.default ??
      (await askCredentials(prompter, "site default", chosen.length > 0));
    if (fallback) vault.setSiteDefault(fallback);
    const failures = await approveChosen(ctx, chosen, { ...deps, vault });
    if (failures.length > 0)
      throw new ProvisionStepError(
        `not approved: ${failures.join("; ")}. Put the right credentials under credentials.cameras ` +
          "in the answers file and run camgate provision again, or later: " +
          "camgate cameras approve ID -u USER --password-stdin",
      );
  } finally {
    store.close();
  }
}

async function askCidrs(ctx: StepContext): Promise<string[]> {
  const { answers, state } = ctx;
  const text = await askValid(
    ctx,
    "discovery.cidrs",
    "Address ranges to sweep, comma-separated (empty: multicast only)",
    (answers.discovery?.cidrs ?? state.discovery?.cidrs ?? []).join(","),
    (value) =>
      value
        .split(",")
        .every((cidr) => cidr.trim() === "" || /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(cidr.trim()))
        ? undefined
        : "expected CIDRs such as 192.0.2.0/24",
  );
  return text
    .split(",")
    .map((cidr) => cidr.trim())
    .filter(Boolean);
}

/** The technician's selection: `approve` in the answers (all, none, or addresses and ids). */
async function chooseCameras(ctx: StepContext, cameras: CameraRecord[]): Promise<CameraRecord[]> {
  const { answers, prompter } = ctx;
  let selection: string[];
  if (answers.approve !== undefined) {
    selection = typeof answers.approve === "string" ? [answers.approve] : answers.approve;
  } else if (prompter.interactive) {
    const text = await prompter.ask(
      "approve",
      "Approve which cameras? all, none, or addresses/ids separated by commas",
      "all",
    );
    selection = text.split(",").map((item) => item.trim());
  } else {
    throw new MissingAnswerError("approve");
  }
  if (selection.includes("none")) return [];
  if (selection.includes("all")) return cameras;
  const unknown = selection.filter((item) => !cameras.some((c) => c.id === item || c.ip === item));
  if (unknown.length > 0)
    throw new ProvisionStepError(`approve: no camera found at ${unknown.join(", ")}`);
  return cameras.filter((c) => selection.includes(c.id) || selection.includes(c.ip ?? ""));
}

async function approveChosen(
  ctx: StepContext,
  chosen: CameraRecord[],
  deps: Parameters<typeof approveCamera>[0],
): Promise<string[]> {
  const failures: string[] = [];
  const rows: string[][] = [];
  for (const camera of chosen) {
    const address = camera.ip ?? camera.id;
    let credentials: Credentials | undefined =
      ctx.answers.credentials?.cameras?.[address] ?? ctx.answers.credentials?.cameras?.[camera.id];
    let outcome = "approved";
    for (let attempt = 1; ; attempt++) {
      try {
        const { camera: approved } = await approveCamera(deps, camera.id, {
          ...(credentials ? { credentials } : {}),
        });
        outcome = `approved (${modelOf(approved)})`;
        break;
      } catch (error) {
        if (!(error instanceof ApprovalError)) throw error;
        const refused = error.reason === "credentials-refused";
        ctx.say(
          `  ${address}: ${refused ? "the camera refused the username or password" : error.message}`,
        );
        const again =
          refused && attempt < CREDENTIAL_TRIES
            ? await askCredentials(ctx.prompter, address, true)
            : undefined;
        if (again) {
          credentials = again;
          continue;
        }
        outcome = refused ? "credentials refused" : "not reachable";
        failures.push(`${address} (${camera.id}): ${outcome}`);
        break;
      }
    }
    rows.push([camera.id, address, outcome]);
  }
  for (const line of formatTable(["CAMERA", "ADDRESS", "RESULT"], rows)) ctx.say(line);
  return failures;
}

async function askCredentials(
  prompter: Prompter,
  whose: string,
  wanted: boolean,
): Promise<Credentials | undefined> {
  if (!prompter.interactive || !wanted) return undefined;
  const username = await prompter.ask(
    "credentials.username",
    `Camera username (${whose}; empty: none)`,
    "",
  );
  if (username === "") return undefined;
  return {
    username,
    password: await prompter.secret("credentials.password", `Password for ${username}`),
  };
}

function modelOf(camera: CameraRecord): string {
  return `${camera.manufacturer ?? "?"} ${camera.model ?? ""}`.trim();
}

function statusOf(camera: CameraRecord): string {
  if (camera.trust === "approved") return "approved";
  return camera.claims ? `pending (claims to be ${camera.claims})` : "pending";
}
