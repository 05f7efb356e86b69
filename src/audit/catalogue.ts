import { BASELINES } from "../config/schema.js";
import { type Said, said } from "./said.js";

/**
 * The control catalogue of ../shared/BASELINE.md as data. Ids are stable: reports, tests and the
 * commune centers rely on them. The QCVN group labels (G1..G11) are the project's reading of the
 * published requirement groups, not official clause numbers.
 */

export const SEVERITIES = ["info", "low", "medium", "high", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

export { BASELINES };
export type BaselineId = (typeof BASELINES)[number];

export const BASELINE_TITLES: Record<BaselineId, string> = {
  "qcvn11-2026": "QCVN 11:2026/BCA",
  "qcvn135-2024": "QCVN 135:2024/BTTTT",
  d724: "Decision 724/QĐ-BTTTT",
  en303645: "ETSI EN 303 645",
};

export const INTERPRETATION_NOTICE =
  "The mapping of controls to QCVN 135:2024/BTTTT, QCVN 11:2026/BCA and Decision 724 groups is " +
  "camgate's interpretation of the published requirement groups; the full regulation texts were " +
  "not available. G1..G11 are the project's labels, not official clause numbers.";

export interface ControlRefs {
  qcvn135?: string[];
  qcvn11?: string[];
  d724?: string;
  en303645?: string[];
}

export type ControlFamily =
  "auth" | "comms" | "services" | "firmware" | "vuln" | "time" | "logging" | "manual";

export interface ControlDefinition {
  id: string;
  title: string;
  severity: Severity;
  refs: ControlRefs;
  remediation: string;
  /** Checks that touch the device beyond a read: skipped unless enabled by name. */
  optIn?: boolean;
}

function control(
  id: string,
  title: string,
  severity: Severity,
  qcvn135: string[],
  d724: string | undefined,
  en303645: string[],
  remediation: string,
  extra: { qcvn11Only?: string[]; optIn?: boolean } = {},
): ControlDefinition {
  const qcvn11 = [...qcvn135, ...(extra.qcvn11Only ?? [])];
  return {
    id,
    title,
    severity,
    refs: {
      ...(qcvn135.length > 0 ? { qcvn135 } : {}),
      ...(qcvn11.length > 0 ? { qcvn11 } : {}),
      ...(d724 ? { d724 } : {}),
      ...(en303645.length > 0 ? { en303645 } : {}),
    },
    remediation,
    ...(extra.optIn ? { optIn: true } : {}),
  };
}

const SECURE_ACCESS = "secure access";
const SECURE_CHANNEL = "secure channel";
const UNUSED_SERVICES = "disable unused services";

export const CONTROLS: readonly ControlDefinition[] = [
  control(
    "auth.default-credentials",
    "A factory default password is accepted",
    "critical",
    ["G1"],
    "default change at first use",
    ["5.1-1"],
    "Set a unique strong password for every account on the camera and disable unused accounts.",
  ),
  control(
    "auth.supplied-password-strength",
    "The password given to camgate is weak or a known default",
    "medium",
    ["G1"],
    "password policy",
    ["5.1-1"],
    "Change the camera password to at least 8 characters with upper case, lower case, a digit and a special character, then update it in camgate.",
  ),
  control(
    "auth.unauthenticated-onvif",
    "ONVIF answers beyond the pre-authentication set without credentials",
    "critical",
    ["G5", "G6"],
    SECURE_ACCESS,
    ["5.5-4", "5.6-1"],
    "Enable ONVIF user authentication (often 'ONVIF authentication' or 'WS-Security' in the web UI) so only pre-authentication calls are answered anonymously.",
  ),
  control(
    "auth.unauthenticated-rtsp",
    "RTSP serves a stream description without credentials",
    "critical",
    ["G5", "G6"],
    SECURE_ACCESS,
    ["5.5-4"],
    "Turn on RTSP authentication (Digest) in the camera's streaming settings.",
  ),
  control(
    "auth.unauthenticated-snapshot",
    "The snapshot URL serves an image without credentials",
    "high",
    ["G6", "G7"],
    SECURE_ACCESS,
    ["5.5-4"],
    "Require authentication for snapshots (disable 'anonymous snapshot' or 'anonymous visit').",
  ),
  control(
    "auth.basic-over-cleartext",
    "HTTP Basic authentication is offered on plain HTTP",
    "high",
    ["G1", "G5"],
    SECURE_CHANNEL,
    ["5.1-3", "5.5-1"],
    "Set HTTP and RTSP authentication to Digest only, and use HTTPS for the web interface.",
  ),
  control(
    "auth.wsse-freshness",
    "Stale or replayable WS-Security tokens are accepted",
    "high",
    ["G1"],
    SECURE_ACCESS,
    ["5.1-3"],
    "Update the firmware; the camera must refuse UsernameTokens without nonce and creation time, and tokens older than a few minutes.",
  ),
  control(
    "auth.lockout-policy",
    "Brute-force protection is configured",
    "high",
    ["G1"],
    "5 failures / 30 s ⇒ 5 min",
    ["5.1-5"],
    "Enable login lockout (illegal login lock): at most 5 failures within 30 s, locked for at least 5 minutes.",
    { qcvn11Only: ["QCVN 11: authentication resisting automated guessing"] },
  ),
  control(
    "auth.password-policy",
    "The device enforces password complexity",
    "medium",
    ["G1"],
    "password policy",
    ["5.1-1"],
    "Enable the password policy: minimum length 8 with upper case, digit and special character required.",
  ),
  control(
    "auth.accounts",
    "Extra administrator or default-named accounts exist",
    "medium",
    ["G1", "G4"],
    "account management",
    ["5.1-1", "5.4-1"],
    "Remove accounts that are not needed and keep a single administrator; give operators the lowest level that works.",
  ),
  control(
    "comms.https-management",
    "Management is available over HTTPS",
    "high",
    ["G5"],
    SECURE_CHANNEL,
    ["5.5-1"],
    "Enable HTTPS on the camera and install a certificate.",
  ),
  control(
    "comms.cleartext-management",
    "Management is also served over plain HTTP without redirect",
    "medium",
    ["G5"],
    SECURE_CHANNEL,
    ["5.5-1"],
    "Disable plain HTTP for the web interface or make it redirect to HTTPS.",
  ),
  control(
    "comms.tls-version",
    "TLS older than 1.2 is accepted",
    "high",
    ["G5"],
    SECURE_CHANNEL,
    ["5.5-1"],
    "Set the minimum TLS version to 1.2 in the camera's HTTPS settings, or update the firmware.",
  ),
  control(
    "comms.tls-ciphers",
    "Weak TLS cipher suites are accepted",
    "medium",
    ["G5"],
    SECURE_CHANNEL,
    ["5.5-1"],
    "Allow only ECDHE suites with AES-GCM or ChaCha20 (the 'high security' TLS setting), or update the firmware.",
  ),
  control(
    "comms.tls-certificate",
    "The HTTPS certificate is expired, weak, self-signed or for another name",
    "medium",
    ["G5"],
    SECURE_CHANNEL,
    ["5.5-1"],
    "Install a certificate for the camera's address signed by the site CA, RSA ≥ 2048 or P-256, SHA-256.",
  ),
  control(
    "comms.video-encryption",
    "Video travels only as plain RTP",
    "medium",
    ["G5", "G10"],
    SECURE_CHANNEL,
    ["5.5-1", "5.8-2"],
    "Enable RTSPS (RTSP over TLS) or SRTP if the camera supports it; otherwise keep the camera on an isolated network segment.",
  ),
  control(
    "services.telnet",
    "Telnet is listening",
    "critical",
    ["G6"],
    UNUSED_SERVICES,
    ["5.6-1"],
    "Disable telnet; if the firmware cannot, update it or replace the camera.",
  ),
  control(
    "services.debug-ports",
    "Vendor debug or backdoor ports are open",
    "critical",
    ["G6"],
    UNUSED_SERVICES,
    ["5.6-4"],
    "Update the firmware to a version without the debug service; block the ports at the switch until then.",
  ),
  control(
    "services.ftp",
    "FTP is listening",
    "high",
    ["G6"],
    UNUSED_SERVICES,
    ["5.6-1"],
    "Disable the FTP service on the camera.",
  ),
  control(
    "services.ssh",
    "SSH is listening",
    "medium",
    ["G6"],
    UNUSED_SERVICES,
    ["5.6-1"],
    "Disable SSH unless it is needed for maintenance; if needed, restrict it to the maintenance network.",
  ),
  control(
    "services.vendor-sdk",
    "Proprietary SDK ports are open",
    "medium",
    ["G6"],
    UNUSED_SERVICES,
    ["5.6-1"],
    "Disable the vendor SDK/private protocol if no NVR uses it, or restrict it to the recorder's address.",
  ),
  control(
    "services.upnp",
    "SSDP/UPnP answers",
    "medium",
    ["G6"],
    UNUSED_SERVICES,
    ["5.6-1"],
    "Disable UPnP (and UPnP port mapping) on the camera.",
  ),
  control(
    "services.snmp-public",
    "SNMP answers the community 'public'",
    "high",
    ["G6"],
    UNUSED_SERVICES,
    ["5.6-1"],
    "Disable SNMP v1/v2c or set a private community; prefer SNMPv3 with authentication.",
  ),
  control(
    "services.cloud-p2p",
    "Vendor cloud, P2P or DDNS relay is enabled",
    "medium",
    ["G7", "G10"],
    "data location",
    ["5.8-3", "6"],
    "Disable the vendor cloud/P2P service and DDNS; video must leave the site only through the commune center.",
  ),
  control(
    "services.preauth-disclosure",
    "Model and firmware are readable before authentication",
    "low",
    ["G6"],
    undefined,
    ["5.6-2"],
    "Hide the firmware version from unauthenticated pages and Server headers where the firmware allows it.",
  ),
  control(
    "firmware.known-vulnerable",
    "The model and firmware match a known-vulnerable advisory",
    "high",
    ["G2", "G3"],
    "vulnerability management",
    ["5.2", "5.3"],
    "Update the firmware to the version the vendor advisory names as fixed.",
  ),
  control(
    "vuln.hikvision-cve-2017-7921",
    "Hikvision authentication bypass (CVE-2017-7921)",
    "critical",
    ["G1", "G2"],
    undefined,
    ["5.1", "5.3"],
    "Update the firmware to a version released after May 2017 and change every password: the bypass exposes the user list.",
  ),
  control(
    "vuln.dahua-cve-2021-33044",
    "Dahua login identity bypass (CVE-2021-33044)",
    "critical",
    ["G1", "G2"],
    undefined,
    ["5.1", "5.3"],
    "Update the firmware to a build after July 2021.",
    { optIn: true },
  ),
  control(
    "time.clock-skew",
    "Camera clock differs from the box by more than 5 s",
    "medium",
    ["G8"],
    undefined,
    ["5.9"],
    "Set the camera to synchronise time by NTP from the box or the site's time server.",
  ),
  control(
    "time.ntp",
    "An NTP source is configured and used",
    "medium",
    ["G8"],
    undefined,
    ["5.9"],
    "Set the date/time mode to NTP and enter the site's NTP server.",
  ),
  control(
    "logging.system-log",
    "A security log exists and is readable by administrators only",
    "medium",
    [],
    undefined,
    ["5.4", "5.10"],
    "Enable the system/security log and restrict it to administrators; update the firmware if it is readable anonymously.",
    { qcvn11Only: ["G10"] },
  ),
  control(
    "manual.vulnerability-disclosure",
    "The vendor publishes how to report vulnerabilities",
    "info",
    ["G2"],
    "vulnerability management",
    ["5.2-1"],
    "Record the vendor's PSIRT or security-advisory page in the site documentation.",
  ),
  control(
    "manual.update-authenticity",
    "Firmware updates are signed and checked",
    "info",
    ["G3"],
    "update management",
    ["5.3-2"],
    "Obtain the vendor's statement that firmware images are signed and verified before installation.",
  ),
  control(
    "manual.secure-storage",
    "Secrets are stored protected on the device",
    "info",
    ["G4"],
    "stored encrypted",
    ["5.4-1"],
    "Obtain the vendor's statement on how passwords and keys are stored (hashed, encrypted, secure element).",
  ),
  control(
    "manual.data-deletion",
    "The user can erase data, configuration and keys",
    "info",
    ["G9"],
    "deletion confirmed",
    ["5.11-1"],
    "Confirm in the manual or web UI that a factory reset erases recordings, configuration and keys.",
  ),
];

export const MANUAL_EVIDENCE: Record<string, Said> = {
  "manual.vulnerability-disclosure": said(
    "Collect: the vendor's vulnerability-reporting address or PSIRT page.",
    "Cần thu thập: địa chỉ báo cáo lỗ hổng hoặc trang PSIRT của hãng.",
  ),
  "manual.update-authenticity": said(
    "Collect: vendor documentation that firmware images are signed and the signature is checked before installation. camgate never uploads an image to test this.",
    "Cần thu thập: tài liệu của hãng cho thấy bản firmware được ký số và chữ ký được kiểm tra trước khi cài. camgate không bao giờ tải firmware lên camera để thử điều này.",
  ),
  "manual.secure-storage": said(
    "Collect: vendor documentation of how credentials and keys are stored on the device.",
    "Cần thu thập: tài liệu của hãng về cách lưu mật khẩu và khóa trên thiết bị.",
  ),
  "manual.data-deletion": said(
    "Collect: the manual's description of factory reset, and whether it erases recordings, configuration and keys.",
    "Cần thu thập: mô tả trong hướng dẫn sử dụng về việc khôi phục cài đặt gốc, và việc đó có xóa bản ghi hình, cấu hình và khóa hay không.",
  ),
};

export function controlById(id: string): ControlDefinition | undefined {
  return CONTROLS.find((candidate) => candidate.id === id);
}

/** Whether a control is part of a baseline: it has a reference in that baseline's document. */
export function inBaseline(control: ControlDefinition, baseline: BaselineId): boolean {
  switch (baseline) {
    case "qcvn11-2026":
      return control.refs.qcvn11 !== undefined;
    case "qcvn135-2024":
      return control.refs.qcvn135 !== undefined;
    case "d724":
      return control.refs.d724 !== undefined;
    case "en303645":
      return control.refs.en303645 !== undefined;
  }
}
