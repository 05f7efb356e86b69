import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from "node:crypto";
import { z } from "zod";
import { canonicalJson } from "./canonical-json.js";
import { keyIdOf } from "./signatures.js";

/** A release version: `major.minor.patch`, numbers only (compared as numbers). */
export const VERSION_RE = /^(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})$/;
/** The largest release tarball a box takes. */
export const MAX_RELEASE_BYTES = 512 * 1024 * 1024;

const version = z.string().regex(VERSION_RE, "a version is major.minor.patch");

/** What the update key signs: which release, its bytes, and which boxes may install it. */
export const releaseManifestSchema = z.strictObject({
  schema: z.literal("camgate.release/1"),
  version,
  /** SHA-256 (hex) of the tarball. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/, "64 lower-case hex digits"),
  size: z.number().int().min(1).max(MAX_RELEASE_BYTES),
  /** A box older than this may not install the release (it must take an earlier one first). */
  minimumVersion: version,
  /** The tarball's file name, as `npm pack` names it. */
  file: z.string().regex(/^[A-Za-z0-9._-]{1,128}\.tgz$/, "a .tgz file name"),
  createdAt: z.iso.datetime({ offset: true }),
});

export const manifestSignatureSchema = z.strictObject({
  algorithm: z.enum(["Ed25519", "ECDSA-P256-SHA256"]),
  /** SHA-256 (hex) of the update key's public key, SubjectPublicKeyInfo DER. */
  keyId: z.string().regex(/^[0-9a-f]{64}$/),
  /** base64 over the UTF-8 JCS of the manifest. */
  value: z.string().min(1).max(256),
});

/** The manifest with its detached signature: the file beside the tarball, and `update.offer`. */
export const signedManifestSchema = z.strictObject({
  manifest: releaseManifestSchema,
  signature: manifestSignatureSchema,
});

export type ReleaseManifest = z.output<typeof releaseManifestSchema>;
export type SignedManifest = z.output<typeof signedManifestSchema>;
type Algorithm = SignedManifest["signature"]["algorithm"];

function algorithmOf(key: KeyObject): Algorithm {
  if (key.asymmetricKeyType === "ed25519") return "Ed25519";
  if (key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1")
    return "ECDSA-P256-SHA256";
  throw new TypeError("an update key is Ed25519 or ECDSA P-256");
}

/** Ed25519 signs the bytes themselves; ECDSA P-256 their SHA-256. */
const digestOf = (algorithm: Algorithm) => (algorithm === "Ed25519" ? null : "sha256");

/** Signs a manifest with the update key (PEM, Ed25519 or ECDSA P-256). */
export function signManifest(manifest: ReleaseManifest, privateKeyPem: string): SignedManifest {
  const key = createPrivateKey(privateKeyPem);
  const algorithm = algorithmOf(key);
  const publicPem = createPublicKey(key).export({ type: "spki", format: "pem" }) as string;
  const value = sign(digestOf(algorithm), Buffer.from(canonicalJson(manifest)), key);
  return {
    manifest,
    signature: { algorithm, keyId: keyIdOf(publicPem), value: value.toString("base64") },
  };
}

/** True when the signature is the update key's over exactly this manifest. */
export function verifyManifest(signed: SignedManifest, publicKeyPem: string): boolean {
  try {
    const key = createPublicKey(publicKeyPem);
    const algorithm = algorithmOf(key);
    if (signed.signature.algorithm !== algorithm) return false;
    return verify(
      digestOf(algorithm),
      Buffer.from(canonicalJson(signed.manifest)),
      key,
      Buffer.from(signed.signature.value, "base64"),
    );
  } catch {
    return false;
  }
}

/** Negative, zero or positive as `a` is older than, the same as or newer than `b`. */
export function compareVersions(a: string, b: string): number {
  const parts = (value: string) => (VERSION_RE.exec(value) ?? []).slice(1, 4).map(Number);
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < 3; i++) {
    const diff = (x[i] ?? 0) - (y[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/**
 * Release download (the box pulls, the center answers): the box asks for one range at a time
 * on `update/request`; the center answers on `cmd/update/chunk` (the only branch the box reads)
 * with the bytes and these user properties.
 */
export const updateRequestSchema = z.strictObject({
  schema: z.literal("camgate.update-request/1"),
  version,
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  offset: z.number().int().min(0).max(MAX_RELEASE_BYTES),
  length: z
    .number()
    .int()
    .min(1)
    .max(64 * 1024),
});
export type UpdateRequest = z.output<typeof updateRequestSchema>;

export interface UpdateChunkHeader {
  version: string;
  sha256: string;
  offset: number;
  /** The whole tarball's size, as the center has it. */
  size: number;
}

export function updateChunkProperties(header: UpdateChunkHeader): Record<string, string> {
  return {
    version: header.version,
    sha256: header.sha256,
    offset: String(header.offset),
    size: String(header.size),
  };
}

export function parseUpdateChunkHeader(
  properties: Record<string, string>,
): UpdateChunkHeader | undefined {
  const { version: v, sha256, offset, size } = properties;
  if (v === undefined || !VERSION_RE.test(v)) return undefined;
  if (sha256 === undefined || !/^[0-9a-f]{64}$/.test(sha256)) return undefined;
  if (offset === undefined || !/^\d{1,10}$/.test(offset)) return undefined;
  if (size === undefined || !/^\d{1,10}$/.test(size)) return undefined;
  return { version: v, sha256, offset: Number(offset), size: Number(size) };
}
