import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";

/** A secret to look for, by a label that may be printed (the value never is). */
export interface Secret {
  label: string;
  value: string;
}

export interface SecretFinding {
  label: string;
  /** Which form matched: raw, url-encoded, basic-auth, base64, hex, pem-line. */
  form: string;
  where: string;
}

/** Files that hold video, not text: a scan of them is slow and can only match by chance. */
const SKIPPED = /\.(ts|part|mp4|m4s)$/;
const MIN_SECRET_CHARS = 8;

/** The forms a secret leaks in: as typed, URL-encoded, in a Basic header, base64, hex. */
function formsOf(secret: Secret): { form: string; text: string }[] {
  const forms = [
    { form: "raw", text: secret.value },
    { form: "url-encoded", text: encodeURIComponent(secret.value) },
    {
      form: "base64",
      text: Buffer.from(secret.value, "latin1").toString("base64").replace(/=+$/, ""),
    },
  ];
  return forms.filter(
    (form, index) =>
      form.text.length >= MIN_SECRET_CHARS &&
      forms.findIndex((other) => other.text === form.text) === index,
  );
}

/** A camera's password, also as it would appear in an HTTP Basic Authorization header. */
export function cameraPassword(label: string, username: string, password: string): Secret[] {
  return [
    { label, value: password },
    { label: `${label} (basic auth)`, value: `${username}:${password}` },
  ];
}

/**
 * A PEM private key: each line of its base64 body is a secret of its own, so that any piece of
 * the key that leaks is found, not only the whole.
 */
export function pemKeySecrets(label: string, pem: string): Secret[] {
  return pem
    .split(/\r?\n/)
    .filter((line) => line.length >= 32 && !line.startsWith("-----"))
    .map((line, index) => ({ label: `${label} line ${index + 1}`, value: line }));
}

/** Raw key bytes (the sealing key): their hex and base64 spellings. */
export function keyBytesSecrets(label: string, bytes: Buffer): Secret[] {
  return [
    { label: `${label} (hex)`, value: bytes.toString("hex") },
    { label: `${label} (base64)`, value: bytes.toString("base64").replace(/=+$/, "") },
  ];
}

/**
 * Looks for every secret in every form in the given texts. What is scanned is named by `where`
 * in the findings; the secret itself never appears in them.
 */
export function scanText(text: string, where: string, secrets: readonly Secret[]): SecretFinding[] {
  const findings: SecretFinding[] = [];
  for (const secret of secrets) {
    for (const { form, text: needle } of formsOf(secret)) {
      const at = text.indexOf(needle);
      if (at === -1) continue;
      const line = text.slice(0, at).split("\n").length;
      findings.push({ label: secret.label, form, where: `${where}:${line}` });
    }
  }
  return findings;
}

/** Scans files and folders (recursively) as bytes, the SQLite store included; video is skipped. */
export async function scanPaths(
  paths: readonly string[],
  secrets: readonly Secret[],
): Promise<{ findings: SecretFinding[]; files: number; bytes: number }> {
  const findings: SecretFinding[] = [];
  let files = 0;
  let bytes = 0;
  const visit = async (path: string): Promise<void> => {
    const info = await stat(path).catch(() => undefined);
    if (!info) return;
    if (info.isDirectory()) {
      for (const entry of await readdir(path)) await visit(join(path, entry));
      return;
    }
    if (!info.isFile() || SKIPPED.test(path)) return;
    const text = (await readFile(path)).toString("latin1");
    files++;
    bytes += text.length;
    findings.push(...scanText(text, path, secrets));
  };
  for (const path of paths) await visit(path);
  return { findings, files, bytes };
}
