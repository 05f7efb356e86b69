import { BlockList, isIP } from "node:net";
import { CamgateError, ExitCode } from "../errors.js";
import type { CameraObservation } from "../store/index.js";
import { cameraIdFor } from "./inventory.js";

const MAX_URL = 2048;

/** The token of the one profile a camera added by its RTSP URL has. */
export const RTSP_PROFILE_TOKEN = "rtsp";

/** Where a camera on the box's LAN can be: private, link-local and loopback (labs) addresses. */
const LAN = new BlockList();
LAN.addSubnet("10.0.0.0", 8, "ipv4");
LAN.addSubnet("172.16.0.0", 12, "ipv4");
LAN.addSubnet("192.168.0.0", 16, "ipv4");
LAN.addSubnet("169.254.0.0", 16, "ipv4");
LAN.addSubnet("100.64.0.0", 10, "ipv4");
LAN.addSubnet("127.0.0.0", 8, "ipv4");
LAN.addSubnet("fc00::", 7, "ipv6");
LAN.addSubnet("fe80::", 10, "ipv6");
LAN.addAddress("::1", "ipv6");

/** A camera URL a technician typed that camgate will not use; the message says why in both languages. */
export class RtspUrlError extends CamgateError {
  constructor(en: string, vi: string) {
    super(`${en} / ${vi}`, { exitCode: ExitCode.usage });
  }
}

/**
 * The RTSP URL of a camera without ONVIF, as a technician gives it: rtsp:// or rtsps://, at an
 * address on the camera LAN (an IP literal: a name could resolve anywhere, and an address is
 * what the camera is pinned to), without user-info (the password goes to the sealed vault,
 * never into a stored URL) and without anything that does not belong in a request line.
 */
export function rtspCameraUrl(text: string): URL {
  // What may hold a password (user:pass@) is not echoed.
  const shown = text.includes("@")
    ? "(the text given)"
    : text.length > 80
      ? `${text.slice(0, 80)}…`
      : text;
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (text.length > MAX_URL || /[\u0000-\u001f\u007f\s]/.test(text))
    throw new RtspUrlError(
      `not a usable RTSP URL: it is longer than ${MAX_URL} characters or holds spaces or control characters`,
      `địa chỉ RTSP không dùng được: dài quá ${MAX_URL} ký tự hoặc chứa khoảng trắng, ký tự điều khiển`,
    );
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new RtspUrlError(
      `not a URL: ${shown} (e.g. rtsp://192.168.1.64:554/Streaming/Channels/101)`,
      `không phải một địa chỉ URL: ${shown} (ví dụ rtsp://192.168.1.64:554/Streaming/Channels/101)`,
    );
  }
  if (url.protocol !== "rtsp:" && url.protocol !== "rtsps:")
    throw new RtspUrlError(
      `${url.protocol}// is not a camera stream: give its rtsp:// or rtsps:// URL`,
      `${url.protocol}// không phải luồng camera: hãy nhập địa chỉ rtsp:// hoặc rtsps://`,
    );
  if (url.username !== "" || url.password !== "")
    throw new RtspUrlError(
      "the URL holds a username or password: give the username with -u and the password on --password-stdin, where they are sealed",
      "địa chỉ URL chứa tên đăng nhập hoặc mật khẩu: hãy nhập tên đăng nhập bằng -u và mật khẩu qua --password-stdin để được mã hóa",
    );
  if (url.hash !== "")
    throw new RtspUrlError("an RTSP URL has no #fragment", "địa chỉ RTSP không có phần #fragment");
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const family = isIP(host);
  if (family === 0 || !LAN.check(host, family === 4 ? "ipv4" : "ipv6"))
    throw new RtspUrlError(
      `${url.hostname} is not an address on the camera LAN: give the camera's private IP address (10.x, 172.16-31.x, 192.168.x)`,
      `${url.hostname} không phải địa chỉ trong mạng LAN camera: hãy nhập địa chỉ IP nội bộ của camera (10.x, 172.16-31.x, 192.168.x)`,
    );
  return url;
}

/**
 * What the inventory keeps of a camera added by its RTSP URL: no ONVIF address (nothing asks it
 * ONVIF), one profile with the URL (no credentials in it), its address, and an id of its own.
 */
export function rtspObservation(
  url: URL,
  options: { id?: string; name?: string | undefined; nowMs: number },
): CameraObservation {
  const address = url.hostname.replace(/^\[|\]$/g, "");
  return {
    id: options.id ?? cameraIdFor({ address: url.href }),
    urn: null,
    mac: null,
    ip: address,
    xaddrs: [],
    manufacturer: null,
    model: null,
    firmware: null,
    serial: null,
    hardware: null,
    name: options.name ?? null,
    profiles: [
      {
        token: RTSP_PROFILE_TOKEN,
        name: "RTSP",
        encoding: undefined,
        width: undefined,
        height: undefined,
        fps: undefined,
        streamUri: url.href,
        snapshotUri: undefined,
      },
    ],
    clockOffsetMs: null,
    lastSeenMs: options.nowMs,
    reachable: true,
  };
}
