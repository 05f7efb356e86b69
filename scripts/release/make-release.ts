/**
 * A camgate release: the tarball `npm pack` makes of the built package, and its manifest
 * (version, SHA-256, size, minimum version) signed by the update key, which boxes check against
 * `update.publicKey` before they unpack anything.
 *
 *   npm run release -- --key update.key --out DIR [--version V] [--minimum V] [--with-dependencies]
 *   npm run release -- keygen --out DIR        (a new Ed25519 update key: update.key, update.pub)
 *
 * --with-dependencies bundles the production node_modules (native modules built for the machine
 * it runs on: build the arm64 release on arm64, e.g. in Dockerfile.arm64's build stage).
 */
import { execFile } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";
import { type SignedManifest, signManifest } from "../../src/protocol/index.js";
import { digestFile } from "../../src/update/index.js";
import { writeFileAtomic } from "../../src/util/files.js";

const run = promisify(execFile);

export interface ReleaseOptions {
  /** The project: package.json and the built dist/src. */
  root: string;
  out: string;
  /** The update key (private, PEM). */
  keyFile: string;
  /** Default: package.json's. */
  version?: string;
  /** Boxes older than this may not install it; default: the release's own major.minor.0. */
  minimumVersion?: string;
  withDependencies?: boolean;
}

export interface Release {
  tarball: string;
  manifestFile: string;
  signed: SignedManifest;
}

interface PackageJson {
  version: string;
  files: string[];
  bundleDependencies?: boolean;
  scripts?: Record<string, string>;
}

/** Packs the project as `npm pack` does, from a staged copy carrying the release's version. */
export async function makeRelease(options: ReleaseOptions): Promise<Release> {
  const pkg = JSON.parse(await readFile(join(options.root, "package.json"), "utf8")) as PackageJson;
  const version = options.version ?? pkg.version;
  const stage = await mkdtemp(join(tmpdir(), "camgate-release-"));
  try {
    for (const entry of pkg.files)
      await cp(join(options.root, entry), join(stage, entry), { recursive: true });
    const staged: PackageJson = { ...pkg, version };
    delete staged.scripts;
    if (options.withDependencies) {
      staged.bundleDependencies = true;
      await cp(join(options.root, "node_modules"), join(stage, "node_modules"), {
        recursive: true,
        dereference: true,
      });
    }
    await writeFile(join(stage, "package.json"), `${JSON.stringify(staged, null, 2)}\n`);
    await mkdir(options.out, { recursive: true });
    const out = resolve(options.out);
    const { stdout } = await run(
      "npm",
      ["pack", "--ignore-scripts", "--silent", "--pack-destination", out],
      { cwd: stage, maxBuffer: 16 * 1024 * 1024 },
    );
    const file = stdout.trim().split("\n").pop() ?? "";
    const tarball = join(out, file);
    const { sha256, size } = await digestFile(tarball);
    const [major, minor] = version.split(".");
    const signed = signManifest(
      {
        schema: "camgate.release/1",
        version,
        sha256,
        size,
        minimumVersion: options.minimumVersion ?? `${major}.${minor}.0`,
        file,
        createdAt: new Date().toISOString(),
      },
      await readFile(options.keyFile, "utf8"),
    );
    const manifestFile = manifestPath(tarball);
    await writeFileAtomic(manifestFile, `${JSON.stringify(signed, null, 2)}\n`);
    return { tarball, manifestFile, signed };
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

/** Where a tarball's manifest is: beside it, `<name>.manifest.json`. */
export function manifestPath(tarball: string): string {
  return tarball.replace(/\.tgz$/, "") + ".manifest.json";
}

/** A new Ed25519 update key: `update.key` (0600) and `update.pub`, the half boxes get. */
export async function makeUpdateKey(out: string): Promise<{ key: string; pub: string }> {
  const pair = generateKeyPairSync("ed25519");
  const key = join(out, "update.key");
  const pub = join(out, "update.pub");
  await writeFileAtomic(key, pair.privateKey.export({ type: "pkcs8", format: "pem" }), 0o600);
  await writeFileAtomic(pub, pair.publicKey.export({ type: "spki", format: "pem" }));
  return { key, pub };
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      key: { type: "string" },
      out: { type: "string" },
      version: { type: "string" },
      minimum: { type: "string" },
      "with-dependencies": { type: "boolean" },
    },
  });
  if (values.out === undefined) {
    console.error("usage: make-release [keygen] --out DIR [--key KEY] [--version V] [--minimum V]");
    return 2;
  }
  if (positionals[0] === "keygen") {
    const { key, pub } = await makeUpdateKey(values.out);
    console.log(
      `update key: ${key} (keep it off the boxes)\npublic half for update.publicKey: ${pub}`,
    );
    return 0;
  }
  if (values.key === undefined) {
    console.error("--key: the update key (PEM) that signs the manifest");
    return 2;
  }
  const release = await makeRelease({
    root: join(dirname(fileURLToPath(import.meta.url)), "..", "..", ".."),
    out: values.out,
    keyFile: values.key,
    ...(values.version === undefined ? {} : { version: values.version }),
    ...(values.minimum === undefined ? {} : { minimumVersion: values.minimum }),
    withDependencies: values["with-dependencies"] === true,
  });
  const { manifest } = release.signed;
  console.log(
    `${release.tarball}: camgate ${manifest.version}, ${manifest.size} bytes, sha256 ${manifest.sha256}\n${release.manifestFile}`,
  );
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = await main();
