import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { copyFile, mkdir, readFile, rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  linkTarget,
  pointLink,
  readUpdateState,
  releaseDir,
  writeUpdateState,
} from "../lifecycle/update-state.js";
import { compareVersions, type SignedManifest, verifyManifest } from "../protocol/index.js";
import type { Config } from "../config/index.js";
import { writeFileAtomic } from "../util/files.js";
import { UpdateRefusedError } from "./errors.js";

const run = promisify(execFile);

/** Where the box keeps releases and what it needs to switch between them (config `update`). */
export interface ReleaseLayout {
  releasesDir: string;
  currentLink: string;
  stateFile: string;
  healthTimeoutMs: number;
  maxStarts: number;
}

/** The layout the config describes; the state file defaults to one beside the database. */
export function updateLayout(config: Pick<Config, "update" | "store">): ReleaseLayout {
  const { update } = config;
  return {
    releasesDir: update.releasesDir,
    currentLink: update.currentLink,
    stateFile: update.stateFile ?? join(dirname(config.store.path), "update-state.json"),
    healthTimeoutMs: update.healthTimeout,
    maxStarts: update.maxStarts,
  };
}

/**
 * Checks an offered manifest before anything is fetched: the update key's signature, then that
 * it is newer than `running` and that `running` is at least its minimum. Throws the refusal.
 */
export function checkOffer(signed: SignedManifest, publicKeyPem: string, running: string): void {
  const { manifest } = signed;
  if (!verifyManifest(signed, publicKeyPem))
    throw new UpdateRefusedError(
      "bad_signature",
      `the manifest of ${manifest.version} is not signed by the update key`,
    );
  if (compareVersions(manifest.version, running) <= 0)
    throw new UpdateRefusedError(
      "downgrade",
      `${manifest.version} is not newer than the running ${running}`,
    );
  if (compareVersions(running, manifest.minimumVersion) < 0)
    throw new UpdateRefusedError(
      "too_old",
      `${manifest.version} needs ${manifest.minimumVersion} or newer; this box runs ${running}`,
    );
}

/** SHA-256 (hex) and size of a file, read as a stream. */
export async function digestFile(file: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest("hex"), size };
}

/** The tarball is the manifest's, byte for byte; nothing is unpacked before this passes. */
export async function checkTarball(tarball: string, signed: SignedManifest): Promise<void> {
  const { manifest } = signed;
  const { sha256, size } = await digestFile(tarball);
  if (size !== manifest.size)
    throw new UpdateRefusedError(
      "size_mismatch",
      `the tarball of ${manifest.version} has ${size} bytes, the manifest says ${manifest.size}`,
    );
  if (sha256 !== manifest.sha256)
    throw new UpdateRefusedError(
      "hash_mismatch",
      `the tarball of ${manifest.version} does not have the manifest's SHA-256`,
    );
}

/**
 * Unpacks a checked tarball into `<releasesDir>/<version>` (through a staging directory renamed
 * into place) and checks it is the release the manifest names. Returns its directory.
 */
export async function installRelease(
  tarball: string,
  signed: SignedManifest,
  layout: Pick<ReleaseLayout, "releasesDir" | "currentLink">,
): Promise<string> {
  await checkTarball(tarball, signed);
  const { version } = signed.manifest;
  const final = releaseDir(layout.releasesDir, version);
  if ((await linkTarget(layout.currentLink)) === final)
    throw new UpdateRefusedError("downgrade", `${version} is the release running now`);
  const staging = join(layout.releasesDir, `.staging-${version}-${randomBytes(4).toString("hex")}`);
  await mkdir(staging, { recursive: true });
  try {
    // npm pack puts everything under package/; GNU tar refuses members with "..".
    await run("tar", ["-xzf", tarball, "-C", staging, "--strip-components=1", "--no-same-owner"]);
    await checkPackage(staging, version);
    await rm(final, { recursive: true, force: true });
    await rename(staging, final);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  return final;
}

async function checkPackage(dir: string, version: string): Promise<void> {
  let pkg: { name?: unknown; version?: unknown };
  try {
    pkg = JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as typeof pkg;
    await stat(join(dir, "dist/src/main.js"));
  } catch (error) {
    throw new UpdateRefusedError("bad_package", "the tarball is not a camgate package", {
      cause: error,
    });
  }
  if (pkg.name !== "camgate" || pkg.version !== version)
    throw new UpdateRefusedError(
      "bad_package",
      `the tarball holds ${String(pkg.name)} ${String(pkg.version)}, not camgate ${version}`,
    );
}

/** The running release must be `<releasesDir>/<running>` behind the link, to switch back to. */
export async function checkRollbackTarget(
  layout: Pick<ReleaseLayout, "releasesDir" | "currentLink">,
  running: string,
): Promise<void> {
  const target = await linkTarget(layout.currentLink);
  if (target !== releaseDir(layout.releasesDir, running))
    throw new UpdateRefusedError(
      "no_rollback",
      `${layout.currentLink} does not point at ${releaseDir(layout.releasesDir, running)}: ` +
        "without the running release in place there is nothing to switch back to",
    );
}

/** The guard's two files as this release has them, and where the unit runs them from. */
const GUARD_FILES = [
  { from: new URL("./start-guard.js", import.meta.url), to: "update/start-guard.js" },
  {
    from: new URL("../lifecycle/update-state.js", import.meta.url),
    to: "lifecycle/update-state.js",
  },
];

export function guardDir(currentLink: string): string {
  return join(dirname(currentLink), "update-guard");
}

/** Copies this (healthy) release's start guard out of the releases, where systemd runs it. */
export async function installGuard(currentLink: string): Promise<string> {
  const dir = guardDir(currentLink);
  for (const file of GUARD_FILES) {
    const to = join(dir, file.to);
    await mkdir(dirname(to), { recursive: true });
    const temp = `${to}.${randomBytes(4).toString("hex")}.tmp`;
    await copyFile(fileURLToPath(file.from), temp);
    await rename(temp, to);
  }
  await writeFileAtomic(join(dir, "package.json"), '{ "type": "module" }\n');
  return join(dir, "update/start-guard.js");
}

/**
 * Switches to an installed release: the guard first, then the state that says a switch is under
 * way, then the link. The caller restarts the agent; the guard and the new release take it on.
 */
export async function switchRelease(
  layout: ReleaseLayout,
  from: string,
  to: string,
  source: "uplink" | "file",
): Promise<void> {
  await installGuard(layout.currentLink);
  const state = await readUpdateState(layout.stateFile);
  await writeUpdateState(layout.stateFile, {
    ...state,
    pending: {
      phase: "switching",
      from,
      to,
      releasesDir: layout.releasesDir,
      currentLink: layout.currentLink,
      starts: 0,
      maxStarts: layout.maxStarts,
      healthTimeoutMs: layout.healthTimeoutMs,
      deadlineMs: null,
      source,
    },
  });
  await pointLink(layout.currentLink, releaseDir(layout.releasesDir, to));
}
