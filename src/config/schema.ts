import { z } from "zod";
import { brokerUrlSchema } from "../protocol/broker-url.js";
import { DEFAULT_LANG, DEFAULT_TIME_ZONE, isTimeZone, LANGS } from "../i18n/index.js";
import { parseDuration, parseSize } from "./units.js";

const SIZE_RE = /^\s*\d+(\.\d+)?\s*([kmgt]i?b?|b)?\s*$/i;
const DURATION_RE = /^\s*\d+(\.\d+)?\s*(ms|s|m|h|d)\s*$/i;

/** Bytes: an integer, or a string such as "512MiB" or "64GiB". Output: bytes. */
const SIZE_HINT = 'expected a size: bytes as an integer, or a string such as "512MiB" or "64GiB"';
const DURATION_HINT = 'expected a duration with a unit, e.g. "500ms", "10s", "5m", "2h", "1d"';

function size(description: string) {
  return z
    .union([z.number().int().nonnegative(), z.string().regex(SIZE_RE, SIZE_HINT)], {
      error: SIZE_HINT,
    })
    .describe(description)
    .transform((value, ctx) => {
      if (typeof value === "number") return value;
      const bytes = parseSize(value);
      if (bytes === undefined) {
        ctx.addIssue({ code: "custom", message: `"${value}" is not a size (e.g. "512MiB")` });
        return z.NEVER;
      }
      return bytes;
    });
}

/** A duration string with a unit ("500ms", "10s", "5m", "2h", "1d"). Output: milliseconds. */
function duration(description: string) {
  return z
    .string({ error: DURATION_HINT })
    .regex(DURATION_RE, DURATION_HINT)
    .describe(description)
    .transform((value, ctx) => {
      const ms = parseDuration(value);
      if (ms === undefined) {
        ctx.addIssue({ code: "custom", message: `"${value}" is not a duration` });
        return z.NEVER;
      }
      return ms;
    });
}

const CIDR_RE = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(3[0-2]|[12]?\d)$/;

export const BASELINES = ["qcvn11-2026", "qcvn135-2024", "d724", "en303645"] as const;

const siteSchema = z.strictObject({
  id: z
    .string()
    .regex(
      /^[a-z0-9][a-z0-9-]{0,62}$/,
      "lower-case letters, digits and '-', at most 63 characters (it is part of every MQTT topic)",
    )
    .describe("Stable site identifier; the MQTT topic root is camgate/v1/<id>/"),
  name: z.string().min(1).max(200).optional().describe("Human-readable name of the site"),
  location: z
    .strictObject({
      description: z.string().max(500).optional(),
      latitude: z.number().min(-90).max(90).optional(),
      longitude: z.number().min(-180).max(180).optional(),
    })
    .optional()
    .describe("Where the box is installed"),
  timezone: z
    .string()
    .refine(isTimeZone, "expected an IANA time zone name such as Asia/Ho_Chi_Minh")
    .default(DEFAULT_TIME_ZONE)
    .describe("IANA time zone of the times people read (reports, CLI tables); JSON stays UTC"),
  locale: z
    .enum(LANGS)
    .default(DEFAULT_LANG)
    .describe("Language of reports and tables for people: vi (Vietnamese) or en (English)"),
});

const storeSchema = z.strictObject({
  path: z.string().min(1).default("/var/lib/camgate/camgate.db").describe("SQLite database file"),
  maxBytes: size(
    "Size budget of the database; over it, what outside input makes grow gives way (see README)",
  ).prefault("1GiB"),
});

const secretsSchema = z.strictObject({
  keyFile: z
    .string()
    .min(1)
    .default("/var/lib/camgate/keys/seal.key")
    .describe("AES-256 key that seals camera credentials; created 0600 on first use"),
});

const storageSchema = z.strictObject({
  dir: z.string().min(1).default("/var/lib/camgate/recordings").describe("Segment directory"),
  maxBytes: size("Upper bound for recorded video").optional(),
  maxPercent: z
    .number()
    .gt(0)
    .max(100)
    .default(90)
    .describe("Upper bound as a percentage of the filesystem"),
  minFreeBytes: size("Free space always kept on the filesystem").prefault("1GiB"),
  maxLockedPercent: z
    .number()
    .min(0)
    .max(100)
    .default(20)
    .describe("At most this share of the quota may be held by evidence locks"),
  maxLockHold: duration(
    "How far ahead the `until` of a recordings.lock command from the center may be",
  ).prefault("30d"),
  segmentSeconds: z.number().int().min(2).max(300).default(10).describe("Length of one segment"),
});

const discoverySchema = z.strictObject({
  enabled: z.boolean().default(true),
  intervalSeconds: z.number().int().min(30).default(300).describe("Period of background discovery"),
  multicast: z.boolean().default(true).describe("Send WS-Discovery probes to the multicast group"),
  interfaces: z.array(z.string().min(1)).default([]).describe("Interfaces to probe; empty = all"),
  cidrs: z
    .array(z.string().regex(CIDR_RE, "expected an IPv4 CIDR such as 192.0.2.0/24"))
    .default([])
    .describe("Address ranges probed by unicast when multicast is filtered"),
  probeTimeout: duration("How long to collect ProbeMatches").prefault("3s"),
  callTimeout: duration("Timeout of one ONVIF call while interrogating a camera").prefault("5s"),
  concurrency: z.number().int().min(1).max(1024).default(64),
  autoApprove: z
    .boolean()
    .default(false)
    .describe(
      "Labs only: approve every new device at once and try the site default password on it",
    ),
  maxCameras: z
    .number()
    .int()
    .min(1)
    .max(1024)
    .default(128)
    .describe("Hard cap on the inventory; a device past it is not recorded (event inventory_full)"),
  maxPending: z
    .number()
    .int()
    .min(1)
    .max(1024)
    .default(64)
    .describe("Devices awaiting a technician's approval kept at most"),
  pendingExpiry: duration("A pending device not seen for this long is forgotten").prefault("7d"),
});

const eventsSchema = z.strictObject({
  enabled: z
    .boolean()
    .default(true)
    .describe("Subscribe to the ONVIF events (motion, tamper, intrusion...) of approved cameras"),
  pullWait: duration("How long one PullMessages long-poll waits on the camera").prefault("10s"),
  pullInterval: duration(
    "Least time between two PullMessages to one camera: events that come faster are fetched, stored and sent together",
  ).prefault("500ms"),
  maxPerMinute: z
    .number()
    .int()
    .min(1)
    .max(6000)
    .default(1200)
    .describe(
      "Camera events recorded at most per camera per minute; the rest are counted and reported (camera_events_throttled)",
    ),
  subscriptionTime: duration(
    "Subscription lifetime asked of the camera (renewed before it ends)",
  ).prefault("60s"),
  retryMax: duration("Longest wait before subscribing again to a failing camera").prefault("5m"),
  retain: z
    .record(
      z.string().regex(/^[a-z][a-z-]{0,31}$/, "a camera event kind, e.g. motion or intrusion"),
      z.strictObject({
        preSeconds: z.number().int().min(0).max(3600).default(10),
        postSeconds: z.number().int().min(0).max(3600).default(30),
        days: z
          .number()
          .min(0)
          .max(365)
          .default(0)
          .describe("How long the segments stay held against eviction; 0: not held"),
      }),
    )
    .default({})
    .describe(
      "Per camera event kind (motion, tamper, intrusion, line-crossing, digital-input, object, camera-other): the video around an event, held against eviction within storage.maxLockedPercent and sent first; kinds not listed keep 10 s before and 30 s after, not held (camera-other: none)",
    ),
  snapshot: z
    .boolean()
    .default(false)
    .describe(
      "Send a picture with each camera event (the camera's snapshot, else a frame of the recording)",
    ),
});

const auditSchema = z.strictObject({
  enabled: z.boolean().default(true),
  baseline: z.enum(BASELINES).default("qcvn11-2026"),
  interval: duration("Period of scheduled audits").prefault("24h"),
  startDelay: duration("Wait before the first round after start").prefault("60s"),
  enable: z.array(z.string().min(1)).default([]).describe("Opt-in checks to run"),
  concurrency: z.number().int().min(1).max(64).default(4),
  probeTimeout: duration("Timeout of one probe").prefault("5s"),
  runTimeout: duration("Timeout of a whole audit run").prefault("10m"),
  credentialTrySpacing: duration("Pause between two factory-password tries").prefault("2s"),
  lockout: z
    .strictObject({
      maxFailures: z
        .number()
        .int()
        .min(3)
        .max(100)
        .default(5)
        .describe("Failed logins that lock a camera's account (Decision 724: 5)"),
      window: duration(
        "Window in which a camera counts failed logins (Decision 724: 30s)",
      ).prefault("30s"),
    })
    .prefault({})
    .describe(
      "Lockout assumed of every camera (a camera reporting a stricter one is taken at its word); audits cause at most maxFailures - 2 failed logins per camera in any window",
    ),
  commandCooldown: duration(
    "After an audit.run command for a camera (or for all) ends, the same one is refused this long",
  ).prefault("5m"),
});

const forwardMode = z.enum(["continuous", "on-demand", "off", "events"]);
const audioMode = z
  .enum(["drop", "copy", "transcode"])
  .describe(
    "A camera's audio: drop (not recorded, said once in the log), copy (AAC copied; other " +
      "audio is not recorded), transcode (AAC copied, G.711 and others encoded to AAC)",
  );

const cameraOverrideSchema = z.strictObject({
  enabled: z.boolean().optional(),
  profile: z.string().min(1).max(64).optional().describe("ONVIF profile token to record"),
  forward: forwardMode.optional(),
  allowBasicAuth: z
    .boolean()
    .optional()
    .describe(
      "Let the camera's password go out with RTSP Basic authentication (in clear) when the camera " +
        "offers nothing better; a technician's choice, flagged by the audit",
    ),
  audio: audioMode.optional(),
});

const recorderSchema = z.strictObject({
  enabled: z.boolean().default(true).describe("Record every enabled camera of the inventory"),
  ffmpegPath: z.string().min(1).optional().describe("ffmpeg binary; default: auto-detected"),
  rtspTransport: z
    .enum(["tcp", "udp"])
    .default("tcp")
    .describe("Ignored: ffmpeg reads cameras through the agent's RTSP relay, always over TCP"),
  connectTimeout: duration("How long ffmpeg waits for a camera's stream").prefault("10s"),
  restartDelayMax: duration("Longest wait between restarts of a failing stream").prefault("60s"),
  forward: forwardMode
    .default("continuous")
    .describe(
      "Default forwarding mode of a camera: continuous, on-demand, off, or events (only the segments around camera events, plus clips on request)",
    ),
  audio: audioMode.default("drop"),
  cameras: z
    .record(z.string().regex(/^[A-Za-z0-9._-]{1,128}$/), cameraOverrideSchema)
    .default({})
    .describe("Per-camera overrides, keyed by camera id"),
});

const uplinkSchema = z
  .strictObject({
    brokers: z
      .array(brokerUrlSchema)
      .default([])
      .describe("Broker URLs tried in turn; empty disables the uplink"),
    ca: z.string().min(1).optional().describe("CA certificate (PEM) that signed the broker"),
    cert: z.string().min(1).optional().describe("This box's client certificate (PEM)"),
    key: z.string().min(1).optional().describe("This box's private key (PEM)"),
    chunkBytes: size("Size of one video chunk").prefault("256KiB"),
    maxBitsPerSecond: z.number().int().positive().optional().describe("Upload cap; unset = none"),
    healthSeconds: z.number().int().min(5).default(30),
    sessionExpiry: duration("MQTT session expiry").prefault("7d"),
    keepalive: duration("MQTT keepalive").prefault("30s"),
    reconnectDelayMax: duration(
      "Longest wait between two connection attempts (the wait grows from 1s, with jitter)",
    ).prefault("2m"),
    outbox: z
      .strictObject({
        maxMessages: z.number().int().min(100).default(100_000),
        maxBytes: size("Outbox payload bound").prefault("256MiB"),
      })
      .prefault({}),
    maxLiveSessions: z
      .number()
      .int()
      .min(1)
      .max(64)
      .default(4)
      .describe("Live views open at once, at most (one per camera); more are refused (live_limit)"),
    commandSigningKey: z
      .string()
      .min(1)
      .optional()
      .describe("Center's public key (PEM); when set, video commands must be signed by it"),
  })
  .superRefine((uplink, ctx) => {
    if (uplink.brokers.length === 0) return;
    for (const key of ["ca", "cert", "key"] as const) {
      if (uplink[key] === undefined) {
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: "required when brokers are configured (mutual TLS is mandatory)",
        });
      }
    }
  });

const pkiSchema = z.strictObject({
  renewBefore: duration(
    "Renew the box certificate over the uplink when it ends within this long",
  ).prefault("30d"),
  renewConfirmTimeout: duration(
    "A renewed certificate that has not connected within this long is rolled back to the previous one",
  ).prefault("10m"),
});

const logSchema = z.strictObject({
  level: z.enum(["fatal", "error", "warn", "info", "debug", "trace"]).default("info"),
  format: z.enum(["auto", "json", "pretty"]).default("auto").describe("auto: pretty on a TTY"),
});

const updateSchema = z.strictObject({
  publicKey: z
    .string()
    .min(1)
    .optional()
    .describe(
      "Update key's public half (PEM file, Ed25519 or ECDSA P-256); without it no update is taken",
    ),
  releasesDir: z
    .string()
    .min(1)
    .default("/opt/camgate/releases")
    .describe("Installed releases, one directory per version"),
  currentLink: z
    .string()
    .min(1)
    .default("/opt/camgate/current")
    .describe("Symbolic link to the release that runs; the start guard is kept beside it"),
  stateFile: z
    .string()
    .min(1)
    .optional()
    .describe(
      "The update in progress and the last result; default update-state.json beside store.path",
    ),
  healthTimeout: duration(
    "How long a new release has to report healthy (uplink up, recorders running) before the box switches back",
  ).prefault("5m"),
  maxStarts: z
    .number()
    .int()
    .min(1)
    .max(10)
    .default(3)
    .describe("Starts of a new release without a healthy report before the box switches back"),
});

const agentSchema = z.strictObject({
  stopTimeout: duration("Deadline for a clean stop").prefault("20s"),
});

export const configSchema = z
  .strictObject({
    site: siteSchema,
    store: storeSchema.prefault({}),
    secrets: secretsSchema.prefault({}),
    storage: storageSchema.prefault({}),
    discovery: discoverySchema.prefault({}),
    audit: auditSchema.prefault({}),
    events: eventsSchema.prefault({}),
    recorder: recorderSchema.prefault({}),
    uplink: uplinkSchema.prefault({}),
    log: logSchema.prefault({}),
    agent: agentSchema.prefault({}),
    pki: pkiSchema.prefault({}),
    update: updateSchema.prefault({}),
  })
  .describe("camgate configuration");

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type SiteConfig = Config["site"];
export type StorageConfig = Config["storage"];
export type UplinkConfig = Config["uplink"];
export type LogConfig = Config["log"];
export type EventsConfig = Config["events"];
export type UpdateConfig = Config["update"];
