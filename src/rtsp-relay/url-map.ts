/**
 * Maps URLs between the relay's side (`rtsp://127.0.0.1:PORT/TOKEN/path`, what ffmpeg sees) and
 * the camera's side (`rtsp[s]://camera:port/path`). Requests go to the pinned camera only; every
 * absolute RTSP URL a camera writes in a reply, whatever host it names, is pointed back at the
 * relay, so that ffmpeg never learns of, nor is steered to, another host.
 */
export class UrlMap {
  readonly #relayPrefix: string;
  readonly #cameraOrigin: string;

  constructor(camera: URL, relay: { port: number; token: string }) {
    this.#relayPrefix = `rtsp://127.0.0.1:${relay.port}/${relay.token}`;
    this.#cameraOrigin = `${camera.protocol}//${camera.host}`;
  }

  /** The URL ffmpeg opens for a camera URL (its path and query kept, no credentials). */
  relayUrl(camera: URL): string {
    return this.#relayPrefix + camera.pathname + camera.search;
  }

  /** A request URI from ffmpeg as the camera must see it; undefined if it is not ours. */
  toCamera(uri: string): string | undefined {
    if (uri === "*") return uri;
    const prefix = this.#relayPrefix;
    if (!uri.startsWith(prefix)) return undefined;
    const rest = uri.slice(prefix.length);
    if (rest !== "" && !rest.startsWith("/") && !rest.startsWith("?")) return undefined;
    return this.#cameraOrigin + rest;
  }

  /** Text from the camera (header value, SDP) with every absolute RTSP URL's origin made ours. */
  toRelay(text: string): string {
    return text.replace(ABSOLUTE_RTSP_ORIGIN, this.#relayPrefix);
  }
}

/** `rtsp[s]://[user-info@]host[:port]` (IPv4, name or bracketed IPv6). */
const ABSOLUTE_RTSP_ORIGIN =
  /rtsps?:\/\/(?:[^\s/@;,"'<>]*@)?(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::\d{1,5})?/gi;

/** The token of a request URI on the relay (`rtsp://127.0.0.1:PORT/TOKEN...`), if any. */
export function tokenOf(uri: string, port: number): string | undefined {
  const prefix = `rtsp://127.0.0.1:${port}/`;
  if (!uri.startsWith(prefix)) return undefined;
  const match = /^[A-Za-z0-9_-]{16,64}/.exec(uri.slice(prefix.length));
  return match?.[0];
}
