import { z } from "zod";
import { signedManifestSchema } from "../protocol/index.js";

/** A command's payload may not be larger than this (bytes of JSON). */
export const MAX_COMMAND_BYTES = 16 * 1024;
/** The longest validity window a video command may claim. */
export const MAX_VALIDITY_MS = 24 * 3600 * 1000;
/** The longest clip one request may ask for, and the longest range one lock may hold. */
export const MAX_CLIP_MS = 3600 * 1000;
export const MAX_LOCK_MS = 7 * 24 * 3600 * 1000;
/** The longest config file `config.apply` carries (characters of YAML, within the command cap). */
export const MAX_CONFIG_CHARS = 12 * 1024;

const instant = z.iso.datetime({ offset: true });
/** Free text; a lone surrogate (`"\ud800"`) is refused: it has no canonical JSON (RFC 8785). */
const text = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((value) => !/\p{Cs}/u.test(value), "a lone surrogate is not text");
const cameraId = z.string().regex(/^[A-Za-z0-9._-]{1,128}$/, "not a camera id");

/** Who asks, why, and for how long the request stands: required of video commands. */
const authorization = {
  requester: text(128),
  purpose: text(512),
  issuedAt: instant,
  expiresAt: instant,
  nonce: z.string().regex(/^[A-Za-z0-9_-]{16,128}$/, "16 to 128 characters [A-Za-z0-9_-]"),
};

/** A time range of a camera's video, `to` after `from` by at most `maxMs`. */
function spanWithin(
  maxMs: number,
): [(value: { from: string; to: string }) => boolean, { message: string; path: string[] }] {
  return [
    (value: { from: string; to: string }) => {
      const span = Date.parse(value.to) - Date.parse(value.from);
      return span > 0 && span <= maxMs;
    },
    { message: `"to" must follow "from" by at most ${maxMs / 60_000} minutes`, path: ["to"] },
  ];
}

const videoRange = { camera: cameraId, from: instant, to: instant };

/**
 * Every command the box obeys (`cmd/<name>`). `video`: it releases or holds video, so it carries
 * the authorization fields and, when a command signing key is configured, must be signed.
 */
export const COMMANDS = {
  "clip.request": {
    video: true,
    schema: z.strictObject({ ...videoRange, ...authorization }).refine(...spanWithin(MAX_CLIP_MS)),
  },
  "recordings.lock": {
    video: true,
    schema: z
      .strictObject({
        ...videoRange,
        until: instant,
        reason: text(512),
        ...authorization,
      })
      .refine(...spanWithin(MAX_LOCK_MS)),
  },
  "live.start": {
    video: true,
    schema: z.strictObject({
      camera: cameraId,
      seconds: z.number().int().min(1).max(600),
      ...authorization,
    }),
  },
  "live.stop": { video: false, schema: z.strictObject({ camera: cameraId }) },
  "audit.run": { video: false, schema: z.strictObject({ camera: cameraId.optional() }) },
  "discovery.run": { video: false, schema: z.strictObject({}) },
  "status.get": { video: false, schema: z.strictObject({}) },
  /** Renews the box certificate now; it changes the box's identity, so it is authorised as video. */
  "cert.renew": { video: false, authorized: true, schema: z.strictObject({ ...authorization }) },
  /** A release to install (its manifest signed by the update key); authorised as video commands are. */
  "update.offer": {
    video: false,
    authorized: true,
    schema: z.strictObject({ release: signedManifestSchema, ...authorization }),
  },
  /** A new config file (YAML); taken only with a command key, so always signed by the center. */
  "config.apply": {
    video: false,
    authorized: true,
    schema: z.strictObject({ yaml: z.string().min(1).max(MAX_CONFIG_CHARS), ...authorization }),
  },
} as const;

export type CommandName = keyof typeof COMMANDS;
export type CommandArgs<N extends CommandName> = z.output<(typeof COMMANDS)[N]["schema"]>;

export interface Authorization {
  requester: string;
  purpose: string;
  issuedAt: string;
  expiresAt: string;
  nonce: string;
}

/**
 * The command carries the authorization fields and, with a command key, must be signed: the
 * video commands, and those that change the box: its identity, its software or its config
 * (`authorized`).
 */
export function needsAuthorization(name: CommandName): boolean {
  const entry = COMMANDS[name];
  return entry.video || ("authorized" in entry && entry.authorized);
}

export function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}
