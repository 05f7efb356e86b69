import { NS } from "../onvif/namespaces.js";
import { escapeXml, type XmlElement } from "../onvif/xml.js";
import { OnvifCallError } from "./errors.js";
import {
  decodeScopes,
  extractDeviceInformation,
  extractMac,
  extractMediaUri,
  extractProfiles,
  extractScopes,
  extractServices,
  extractSystemDateAndTime,
  type MediaProfile,
  networkProtocols,
} from "./extract.js";
import { type Credentials, soapCall } from "./soap-client.js";

const MAX_PROFILES = 16;

export interface ProfileReport extends MediaProfile {
  streamUri: string | undefined;
  snapshotUri: string | undefined;
}

export interface DeviceReport {
  xaddr: string;
  address: string;
  manufacturer: string | undefined;
  model: string | undefined;
  firmwareVersion: string | undefined;
  serialNumber: string | undefined;
  hardwareId: string | undefined;
  mac: string | undefined;
  clockOffsetMs: number | undefined;
  dateTimeType: "NTP" | "Manual" | undefined;
  services: Record<string, string>;
  /** Where the device serves HTTPS, as GetNetworkProtocols says (authenticated reports only). */
  httpsPort: number | undefined;
  scopes: string[];
  name: string | undefined;
  location: string | undefined;
  profiles: ProfileReport[];
  /** Optional steps that failed, for the record; the report is still usable. */
  warnings: string[];
}

export interface InterrogateOptions {
  credentials?: Credentials | undefined;
  /**
   * Only what a device tells anyone (clock, services, identity where it is public): how a device
   * nobody approved yet is looked at. No credential, no media calls; only the clock must answer.
   */
  anonymous?: boolean;
  callTimeoutMs?: number;
  deviceTimeoutMs?: number;
  signal?: AbortSignal;
}

/** The same URI with its host replaced by the address we reached the device on (port kept). */
export function rehost(uri: string | undefined, hostname: string): string | undefined {
  if (uri === undefined) return undefined;
  try {
    const url = new URL(uri);
    url.hostname = hostname;
    return url.href;
  } catch {
    return undefined;
  }
}

/** Points a service address the device advertised at the host and port we reached it on. */
export function reachableXAddr(advertised: string, reached: URL): string {
  try {
    const url = new URL(advertised);
    url.protocol = reached.protocol;
    url.host = reached.host;
    return url.href;
  } catch {
    return new URL("/onvif/device_service", reached).href;
  }
}

/**
 * Asks one device who it is and how to get its video. The clock comes first and without
 * credentials, so that a camera whose clock is years off still accepts our time-shifted token.
 */
export async function interrogate(
  xaddr: string,
  options: InterrogateOptions = {},
): Promise<DeviceReport> {
  const deviceTimeout = AbortSignal.timeout(options.deviceTimeoutMs ?? 20_000);
  const signal = options.signal ? AbortSignal.any([deviceTimeout, options.signal]) : deviceTimeout;
  const reached = new URL(xaddr);
  const warnings: string[] = [];
  let clockOffsetMs: number | undefined;
  const call = (target: string, body: string, authenticated = true) =>
    soapCall(target, body, {
      credentials: authenticated && !options.anonymous ? options.credentials : undefined,
      clockOffsetMs: clockOffsetMs ?? 0,
      timeoutMs: options.callTimeoutMs ?? 5000,
      signal,
    }).catch((error: unknown) => {
      const callTimedOut = error instanceof OnvifCallError && error.kind === "timeout";
      if (deviceTimeout.aborted && !callTimedOut) {
        throw new OnvifCallError(
          "timeout",
          `${reached.host}: interrogation took longer than ${options.deviceTimeoutMs ?? 20_000} ms`,
          { cause: error },
        );
      }
      throw error;
    });
  const optional = async <T>(what: string, work: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await work();
    } catch (error) {
      if (
        error instanceof OnvifCallError &&
        (error.kind === "timeout" || error.kind === "unreachable")
      )
        throw error;
      warnings.push(`${what}: ${(error as Error).message}`);
      return undefined;
    }
  };

  const sentAt = Date.now();
  const clockReply = await call(xaddr, "<tds:GetSystemDateAndTime/>", false);
  const clock = extractSystemDateAndTime(clockReply);
  if (clock) clockOffsetMs = clock.utcMs - Math.round((sentAt + Date.now()) / 2);
  else warnings.push("GetSystemDateAndTime: no UTC time in the reply");

  // A device that answers neither (GetServices and GetCapabilities refused, as some OEM firmware
  // does) is still reported: its identity and clock are worth keeping, with a warning.
  const services =
    (await optional("GetServices", async () =>
      extractServices(
        await call(
          xaddr,
          "<tds:GetServices><tds:IncludeCapability>false</tds:IncludeCapability></tds:GetServices>",
        ),
      ),
    )) ??
    (await optional("GetCapabilities", async () =>
      extractServices(
        await call(
          xaddr,
          "<tds:GetCapabilities><tds:Category>All</tds:Category></tds:GetCapabilities>",
        ),
      ),
    )) ??
    new Map<string, string>();
  const serviceMap = Object.fromEntries(
    [...services].map(([ns, address]) => [ns, reachableXAddr(address, reached)]),
  );

  const deviceInformation = async () =>
    extractDeviceInformation(await call(xaddr, "<tds:GetDeviceInformation/>"));
  const info = options.anonymous
    ? await optional("GetDeviceInformation", deviceInformation)
    : await deviceInformation();
  const mac = await optional("GetNetworkInterfaces", async () =>
    extractMac(await call(xaddr, "<tds:GetNetworkInterfaces/>")),
  );
  const protocols = options.anonymous
    ? undefined
    : await optional("GetNetworkProtocols", async () =>
        networkProtocols(await call(xaddr, "<tds:GetNetworkProtocols/>")),
      );
  const https = protocols?.find((protocol) => protocol.name === "HTTPS" && protocol.enabled);
  const scopes =
    (await optional("GetScopes", async () =>
      extractScopes(await call(xaddr, "<tds:GetScopes/>")),
    )) ?? [];
  const decoded = decodeScopes(scopes);

  const profiles = options.anonymous
    ? [] // A device nobody approved is not asked for its streams.
    : await readProfiles(serviceMap, reached.hostname, call, optional, warnings);

  return {
    xaddr,
    address: reached.hostname,
    manufacturer: info?.manufacturer,
    model: info?.model,
    firmwareVersion: info?.firmwareVersion,
    serialNumber: info?.serialNumber,
    hardwareId: info?.hardwareId,
    mac: mac ?? decoded.mac,
    clockOffsetMs,
    dateTimeType: clock?.dateTimeType,
    services: serviceMap,
    httpsPort: https?.ports[0],
    scopes,
    name: decoded.name,
    location: decoded.location,
    profiles,
    warnings,
  };
}

type Call = (target: string, body: string) => Promise<XmlElement>;
type Optional = <T>(what: string, work: () => Promise<T>) => Promise<T | undefined>;

/**
 * The media profiles and their stream and snapshot URIs: Media2 first where the device
 * advertises it, else (or when its GetProfiles fails or lists nothing, as on some Xiongmai-made
 * firmware that advertises Media2 and answers ActionNotSupported) Media1, at its own address or
 * at Media2's. No profile at all is a warning, not a failure: identity and clock still count.
 */
async function readProfiles(
  serviceMap: Record<string, string>,
  hostname: string,
  call: Call,
  optional: Optional,
  warnings: string[],
): Promise<ProfileReport[]> {
  const media2 = serviceMap[NS.tr2];
  const media1 = serviceMap[NS.trt] ?? media2;
  const versions: { xaddr: string; media2: boolean }[] = [
    ...(media2 ? [{ xaddr: media2, media2: true }] : []),
    ...(media1 ? [{ xaddr: media1, media2: false }] : []),
  ];
  if (versions.length === 0) {
    warnings.push("the device advertises no media service: no stream can be read over ONVIF");
    return [];
  }
  for (const version of versions) {
    const prefix = version.media2 ? "tr2" : "trt";
    const what = `${version.media2 ? "Media2" : "Media1"} GetProfiles`;
    const listed = await optional(what, async () =>
      extractProfiles(
        await call(
          version.xaddr,
          `<${prefix}:GetProfiles>${version.media2 ? "<tr2:Type>All</tr2:Type>" : ""}</${prefix}:GetProfiles>`,
        ),
      ),
    );
    if (listed === undefined) continue;
    if (listed.length === 0) {
      warnings.push(`${what}: no profile listed`);
      continue;
    }
    return streamsOf(listed.slice(0, MAX_PROFILES), version, hostname, call, optional);
  }
  warnings.push(
    "no media profile could be read: the device is reported without streams (add it by its RTSP URL to record it)",
  );
  return [];
}

async function streamsOf(
  listed: readonly MediaProfile[],
  version: { xaddr: string; media2: boolean },
  hostname: string,
  call: Call,
  optional: Optional,
): Promise<ProfileReport[]> {
  const prefix = version.media2 ? "tr2" : "trt";
  const profiles: ProfileReport[] = [];
  for (const profile of listed) {
    const token = escapeXml(profile.token);
    const streamBody = version.media2
      ? `<tr2:GetStreamUri><tr2:Protocol>RTSP</tr2:Protocol><tr2:ProfileToken>${token}</tr2:ProfileToken></tr2:GetStreamUri>`
      : `<trt:GetStreamUri><trt:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream><tt:Transport><tt:Protocol>RTSP</tt:Protocol></tt:Transport></trt:StreamSetup><trt:ProfileToken>${token}</trt:ProfileToken></trt:GetStreamUri>`;
    const streamUri = await optional(`GetStreamUri ${profile.token}`, async () =>
      extractMediaUri(await call(version.xaddr, streamBody)),
    );
    const snapshotUri = await optional(`GetSnapshotUri ${profile.token}`, async () =>
      extractMediaUri(
        await call(
          version.xaddr,
          `<${prefix}:GetSnapshotUri><${prefix}:ProfileToken>${token}</${prefix}:ProfileToken></${prefix}:GetSnapshotUri>`,
        ),
      ),
    );
    profiles.push({
      ...profile,
      streamUri: rehost(streamUri, hostname),
      snapshotUri: rehost(snapshotUri, hostname),
    });
  }
  return profiles;
}
