import { NS } from "../onvif/namespaces.js";
import { attr, child, childrenNamed, descend, textOf, type XmlElement } from "../onvif/xml.js";

/** What the ONVIF responses of a device say; every extractor tolerates missing parts. */

function body(envelope: XmlElement): XmlElement | undefined {
  return child(envelope, NS.soap12, "Body") ?? child(envelope, NS.soap11, "Body");
}

function response(envelope: XmlElement, ns: string, name: string): XmlElement | undefined {
  return child(body(envelope), ns, name);
}

function firstText(element: XmlElement | undefined, ns: string, local: string): string | undefined {
  return textOf(child(element, ns, local));
}

export interface DeviceInformation {
  manufacturer: string | undefined;
  model: string | undefined;
  firmwareVersion: string | undefined;
  serialNumber: string | undefined;
  hardwareId: string | undefined;
}

export function extractDeviceInformation(envelope: XmlElement): DeviceInformation | undefined {
  const r = response(envelope, NS.tds, "GetDeviceInformationResponse");
  if (!r) return undefined;
  return {
    manufacturer: firstText(r, NS.tds, "Manufacturer"),
    model: firstText(r, NS.tds, "Model"),
    firmwareVersion: firstText(r, NS.tds, "FirmwareVersion"),
    serialNumber: firstText(r, NS.tds, "SerialNumber"),
    hardwareId: firstText(r, NS.tds, "HardwareId"),
  };
}

export interface DeviceClock {
  /** The device's UTC clock as it reported it, in ms since the epoch. */
  utcMs: number;
  dateTimeType: "NTP" | "Manual" | undefined;
  timeZone: string | undefined;
}

export function extractSystemDateAndTime(envelope: XmlElement): DeviceClock | undefined {
  const info = descend(
    body(envelope),
    [NS.tds, "GetSystemDateAndTimeResponse"],
    [NS.tds, "SystemDateAndTime"],
  );
  const utc = child(info, NS.tt, "UTCDateTime");
  if (!utc) return undefined;
  const part = (group: string, name: string) =>
    Number(firstText(child(utc, NS.tt, group), NS.tt, name));
  const values = [
    part("Date", "Year"),
    part("Date", "Month"),
    part("Date", "Day"),
    part("Time", "Hour"),
    part("Time", "Minute"),
    part("Time", "Second"),
  ];
  if (values.some((value) => !Number.isInteger(value))) return undefined;
  const [year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0] = values;
  const utcMs = Date.UTC(year, month - 1, day, hour, minute, second);
  if (!Number.isFinite(utcMs)) return undefined;
  const type = firstText(info, NS.tt, "DateTimeType");
  return {
    utcMs,
    dateTimeType: type === "NTP" || type === "Manual" ? type : undefined,
    timeZone: textOf(descend(info, [NS.tt, "TimeZone"], [NS.tt, "TZ"])),
  };
}

/** Service namespace → XAddr, from GetServices or GetCapabilities. */
export function extractServices(envelope: XmlElement): Map<string, string> {
  const services = new Map<string, string>();
  for (const service of childrenNamed(
    response(envelope, NS.tds, "GetServicesResponse"),
    NS.tds,
    "Service",
  )) {
    const namespace = firstText(service, NS.tds, "Namespace");
    const xaddr = firstText(service, NS.tds, "XAddr");
    if (namespace && xaddr) services.set(namespace, xaddr);
  }
  const capabilities = descend(
    body(envelope),
    [NS.tds, "GetCapabilitiesResponse"],
    [NS.tds, "Capabilities"],
  );
  for (const [name, namespace] of [
    ["Device", NS.tds],
    ["Media", NS.trt],
  ] as const) {
    const xaddr = textOf(descend(capabilities, [NS.tt, name], [NS.tt, "XAddr"]));
    if (xaddr && !services.has(namespace)) services.set(namespace, xaddr);
  }
  return services;
}

export interface MediaProfile {
  token: string;
  name: string | undefined;
  encoding: string | undefined;
  width: number | undefined;
  height: number | undefined;
  fps: number | undefined;
}

function numberOf(text: string | undefined): number | undefined {
  const value = Number(text);
  return text !== undefined && Number.isFinite(value) ? value : undefined;
}

/** Media1 (trt:Profiles) and Media2 (tr2:Profiles with Configurations) alike. */
export function extractProfiles(envelope: XmlElement): MediaProfile[] {
  const media1 = childrenNamed(
    response(envelope, NS.trt, "GetProfilesResponse"),
    NS.trt,
    "Profiles",
  );
  const media2 = childrenNamed(
    response(envelope, NS.tr2, "GetProfilesResponse"),
    NS.tr2,
    "Profiles",
  );
  const profiles: MediaProfile[] = [];
  for (const profile of media1) {
    const encoder = child(profile, NS.tt, "VideoEncoderConfiguration");
    profiles.push(
      profileFrom(
        profile,
        encoder,
        textOf(child(encoder, NS.tt, "Encoding")),
        child(encoder, NS.tt, "RateControl"),
      ),
    );
  }
  for (const profile of media2) {
    const encoder = descend(profile, [NS.tr2, "Configurations"], [NS.tr2, "VideoEncoder"]);
    profiles.push(
      profileFrom(
        profile,
        encoder,
        attr(encoder, "Encoding") ?? textOf(child(encoder, NS.tt, "Encoding")),
        child(encoder, NS.tt, "RateControl"),
      ),
    );
  }
  return profiles.filter((profile) => profile.token !== "");
}

function profileFrom(
  profile: XmlElement,
  encoder: XmlElement | undefined,
  encoding: string | undefined,
  rateControl: XmlElement | undefined,
): MediaProfile {
  const resolution = child(encoder, NS.tt, "Resolution");
  return {
    token: attr(profile, "token") ?? "",
    name: textOf(child(profile, NS.tt, "Name")) ?? textOf(child(profile, NS.tr2, "Name")),
    encoding,
    width: numberOf(textOf(child(resolution, NS.tt, "Width"))),
    height: numberOf(textOf(child(resolution, NS.tt, "Height"))),
    fps: numberOf(
      textOf(child(rateControl, NS.tt, "FrameRateLimit")) ?? attr(rateControl, "FrameRateLimit"),
    ),
  };
}

/** GetStreamUri / GetSnapshotUri of Media1 (MediaUri/Uri) or Media2 (a bare Uri). */
export function extractMediaUri(envelope: XmlElement): string | undefined {
  const b = body(envelope);
  for (const [ns, name] of [
    [NS.trt, "GetStreamUriResponse"],
    [NS.trt, "GetSnapshotUriResponse"],
    [NS.tr2, "GetStreamUriResponse"],
    [NS.tr2, "GetSnapshotUriResponse"],
  ] as const) {
    const r = child(b, ns, name);
    if (!r) continue;
    return textOf(descend(r, [ns, "MediaUri"], [NS.tt, "Uri"])) ?? textOf(child(r, ns, "Uri"));
  }
  return undefined;
}

/** The first hardware address among the device's interfaces, lower-cased. */
export function extractMac(envelope: XmlElement): string | undefined {
  for (const nic of childrenNamed(
    response(envelope, NS.tds, "GetNetworkInterfacesResponse"),
    NS.tds,
    "NetworkInterfaces",
  )) {
    const mac = textOf(descend(nic, [NS.tt, "Info"], [NS.tt, "HwAddress"]));
    if (mac && /^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$/i.test(mac))
      return mac.toLowerCase().replaceAll("-", ":");
  }
  return undefined;
}

export function extractScopes(envelope: XmlElement): string[] {
  return childrenNamed(response(envelope, NS.tds, "GetScopesResponse"), NS.tds, "Scopes")
    .map((scope) => textOf(child(scope, NS.tt, "ScopeItem")))
    .filter((scope): scope is string => scope !== undefined);
}

export interface DecodedScopes {
  name?: string;
  hardware?: string;
  location?: string;
  profiles: string[];
  mac?: string;
}

/** onvif://www.onvif.org/<kind>/<value> scopes, percent-decoded. */
export function decodeScopes(scopes: readonly string[]): DecodedScopes {
  const decoded: DecodedScopes = { profiles: [] };
  for (const scope of scopes) {
    const match = /^onvif:\/\/www\.onvif\.org\/([^/]+)\/(.+)$/i.exec(scope.trim());
    if (!match) continue;
    const [, kind = "", raw = ""] = match;
    let value: string;
    try {
      value = decodeURIComponent(raw);
    } catch {
      value = raw;
    }
    switch (kind.toLowerCase()) {
      case "name":
        decoded.name ??= value;
        break;
      case "hardware":
        decoded.hardware ??= value;
        break;
      case "location":
        decoded.location ??= value.replace(/^(city|country)\//i, "");
        break;
      case "profile":
        decoded.profiles.push(value);
        break;
      case "mac":
        decoded.mac ??= value.toLowerCase();
        break;
    }
  }
  return decoded;
}

/** GetNetworkProtocols: each protocol's name (upper case), whether enabled, and its ports. */
export interface NetworkProtocol {
  name: string;
  enabled: boolean;
  ports: number[];
}

export function networkProtocols(envelope: XmlElement): NetworkProtocol[] {
  const found: NetworkProtocol[] = [];
  const visit = (element: XmlElement) => {
    if (element.local === "NetworkProtocols") {
      const field = (name: string) =>
        element.children.filter((c) => c.local === name).map((c) => c.text.trim());
      found.push({
        name: (field("Name")[0] ?? "").toUpperCase(),
        enabled: field("Enabled")[0] === "true",
        ports: field("Port")
          .map(Number)
          .filter((p) => Number.isInteger(p) && p > 0 && p < 65536),
      });
      return;
    }
    for (const child of element.children) visit(child);
  };
  visit(envelope);
  return found.slice(0, 16);
}
