import { escapeXml as x } from "../onvif/xml.js";
import {
  cameraNow,
  deviceXAddr,
  eventXAddr,
  mediaXAddr,
  onvifScopes,
  type SimCameraState,
  type SimProfile,
  snapshotUri,
  streamUri,
} from "./camera-state.js";

/** Body builders, one per supported operation, keyed by ONVIF operation name. */
type Builder = (state: SimCameraState, request: { profileToken?: string | undefined }) => string;

function dateTime(tag: string, date: Date): string {
  return (
    `<tt:${tag}><tt:Time><tt:Hour>${date.getUTCHours()}</tt:Hour><tt:Minute>${date.getUTCMinutes()}</tt:Minute>` +
    `<tt:Second>${date.getUTCSeconds()}</tt:Second></tt:Time><tt:Date><tt:Year>${date.getUTCFullYear()}</tt:Year>` +
    `<tt:Month>${date.getUTCMonth() + 1}</tt:Month><tt:Day>${date.getUTCDate()}</tt:Day></tt:Date></tt:${tag}>`
  );
}

function profileXml(state: SimCameraState, profile: SimProfile): string {
  const { width, height, fps } = state.video;
  return (
    `<trt:Profiles token="${x(profile.token)}" fixed="true"><tt:Name>${x(profile.name)}</tt:Name>` +
    `<tt:VideoSourceConfiguration token="VideoSourceConfig_1"><tt:Name>VideoSourceConfig</tt:Name>` +
    `<tt:UseCount>2</tt:UseCount><tt:SourceToken>VideoSource_1</tt:SourceToken>` +
    `<tt:Bounds x="0" y="0" width="${width}" height="${height}"/></tt:VideoSourceConfiguration>` +
    `<tt:VideoEncoderConfiguration token="VideoEncoder_${x(profile.token)}"><tt:Name>VideoEncoder</tt:Name>` +
    `<tt:UseCount>1</tt:UseCount><tt:Encoding>H264</tt:Encoding>` +
    `<tt:Resolution><tt:Width>${width}</tt:Width><tt:Height>${height}</tt:Height></tt:Resolution>` +
    `<tt:Quality>5</tt:Quality><tt:RateControl><tt:FrameRateLimit>${fps}</tt:FrameRateLimit>` +
    `<tt:EncodingInterval>1</tt:EncodingInterval><tt:BitrateLimit>512</tt:BitrateLimit></tt:RateControl>` +
    `<tt:H264><tt:GovLength>${fps}</tt:GovLength><tt:H264Profile>Baseline</tt:H264Profile></tt:H264>` +
    `<tt:SessionTimeout>PT60S</tt:SessionTimeout></tt:VideoEncoderConfiguration></trt:Profiles>`
  );
}

function mediaUri(uri: string): string {
  return (
    `<trt:MediaUri><tt:Uri>${x(uri)}</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect>` +
    `<tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri>`
  );
}

export const DEVICE_OPERATIONS: Record<string, Builder> = {
  GetSystemDateAndTime: (state) => {
    const now = cameraNow(state);
    const type = state.weaknesses.noNtp ? "Manual" : "NTP";
    return (
      `<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>${type}</tt:DateTimeType>` +
      `<tt:DaylightSavings>false</tt:DaylightSavings><tt:TimeZone><tt:TZ>ICT-7</tt:TZ></tt:TimeZone>` +
      `${dateTime("UTCDateTime", now)}${dateTime("LocalDateTime", new Date(now.getTime() + 7 * 3_600_000))}` +
      `</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>`
    );
  },
  GetCapabilities: (state) =>
    `<tds:GetCapabilitiesResponse><tds:Capabilities>` +
    `<tt:Device><tt:XAddr>${x(deviceXAddr(state))}</tt:XAddr></tt:Device>` +
    `<tt:Media><tt:XAddr>${x(mediaXAddr(state))}</tt:XAddr><tt:StreamingCapabilities>` +
    `<tt:RTPMulticast>false</tt:RTPMulticast><tt:RTP_TCP>true</tt:RTP_TCP><tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP>` +
    `</tt:StreamingCapabilities></tt:Media>` +
    (state.events
      ? `<tt:Events><tt:XAddr>${x(eventXAddr(state))}</tt:XAddr><tt:WSSubscriptionPolicySupport>false</tt:WSSubscriptionPolicySupport>` +
        `<tt:WSPullPointSupport>true</tt:WSPullPointSupport><tt:WSPausableSubscriptionManagerInterfaceSupport>false` +
        `</tt:WSPausableSubscriptionManagerInterfaceSupport></tt:Events>`
      : "") +
    `</tds:Capabilities></tds:GetCapabilitiesResponse>`,
  GetServices: (state) =>
    `<tds:GetServicesResponse>` +
    `<tds:Service><tds:Namespace>http://www.onvif.org/ver10/device/wsdl</tds:Namespace>` +
    `<tds:XAddr>${x(deviceXAddr(state))}</tds:XAddr><tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version></tds:Service>` +
    `<tds:Service><tds:Namespace>http://www.onvif.org/ver10/media/wsdl</tds:Namespace>` +
    `<tds:XAddr>${x(mediaXAddr(state))}</tds:XAddr><tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version></tds:Service>` +
    (state.events
      ? `<tds:Service><tds:Namespace>http://www.onvif.org/ver10/events/wsdl</tds:Namespace>` +
        `<tds:XAddr>${x(eventXAddr(state))}</tds:XAddr><tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version></tds:Service>`
      : "") +
    `</tds:GetServicesResponse>`,
  GetDeviceInformation: ({ identity }) =>
    `<tds:GetDeviceInformationResponse><tds:Manufacturer>${x(identity.manufacturer)}</tds:Manufacturer>` +
    `<tds:Model>${x(identity.model)}</tds:Model><tds:FirmwareVersion>${x(identity.firmwareVersion)}</tds:FirmwareVersion>` +
    `<tds:SerialNumber>${x(identity.serialNumber)}</tds:SerialNumber><tds:HardwareId>${x(identity.hardwareId)}</tds:HardwareId>` +
    `</tds:GetDeviceInformationResponse>`,
  GetScopes: (state) =>
    `<tds:GetScopesResponse>${onvifScopes(state)
      .map(
        (scope) =>
          `<tds:Scopes><tt:ScopeDef>Fixed</tt:ScopeDef><tt:ScopeItem>${x(scope)}</tt:ScopeItem></tds:Scopes>`,
      )
      .join("")}</tds:GetScopesResponse>`,
  GetHostname: ({ identity }) =>
    `<tds:GetHostnameResponse><tds:HostnameInformation><tt:FromDHCP>false</tt:FromDHCP>` +
    `<tt:Name>${x(identity.name)}</tt:Name></tds:HostnameInformation></tds:GetHostnameResponse>`,
  GetNetworkInterfaces: (state) =>
    `<tds:GetNetworkInterfacesResponse><tds:NetworkInterfaces token="eth0"><tt:Enabled>true</tt:Enabled>` +
    `<tt:Info><tt:Name>eth0</tt:Name><tt:HwAddress>${x(state.identity.mac)}</tt:HwAddress><tt:MTU>1500</tt:MTU></tt:Info>` +
    `<tt:IPv4><tt:Enabled>true</tt:Enabled><tt:Config><tt:Manual><tt:Address>${x(state.host)}</tt:Address>` +
    `<tt:PrefixLength>8</tt:PrefixLength></tt:Manual><tt:DHCP>false</tt:DHCP></tt:Config></tt:IPv4>` +
    `</tds:NetworkInterfaces></tds:GetNetworkInterfacesResponse>`,
  GetNetworkProtocols: ({ ports }) =>
    `<tds:GetNetworkProtocolsResponse>` +
    `<tds:NetworkProtocols><tt:Name>HTTP</tt:Name><tt:Enabled>true</tt:Enabled><tt:Port>${ports.http}</tt:Port></tds:NetworkProtocols>` +
    `<tds:NetworkProtocols><tt:Name>HTTPS</tt:Name><tt:Enabled>true</tt:Enabled><tt:Port>${ports.https}</tt:Port></tds:NetworkProtocols>` +
    `<tds:NetworkProtocols><tt:Name>RTSP</tt:Name><tt:Enabled>true</tt:Enabled><tt:Port>${ports.rtsp}</tt:Port></tds:NetworkProtocols>` +
    `</tds:GetNetworkProtocolsResponse>`,
  GetNTP: ({ weaknesses }) =>
    `<tds:GetNTPResponse><tds:NTPInformation><tt:FromDHCP>false</tt:FromDHCP>` +
    (weaknesses.noNtp
      ? ""
      : `<tt:NTPManual><tt:Type>IPv4</tt:Type><tt:IPv4Address>127.0.0.1</tt:IPv4Address></tt:NTPManual>`) +
    `</tds:NTPInformation></tds:GetNTPResponse>`,
  GetUsers: ({ users }) =>
    `<tds:GetUsersResponse>${users
      .map(
        (user) =>
          `<tds:User><tt:Username>${x(user.username)}</tt:Username><tt:UserLevel>${user.level}</tt:UserLevel></tds:User>`,
      )
      .join("")}</tds:GetUsersResponse>`,
  GetSystemLog: (state) =>
    `<tds:GetSystemLogResponse><tds:SystemLog><tt:String>${x(
      `${cameraNow(state).toISOString()} login admin from 127.0.0.1 ok\n`,
    )}</tt:String></tds:SystemLog></tds:GetSystemLogResponse>`,
  GetDynamicDNS: ({ weaknesses, identity }) =>
    `<tds:GetDynamicDNSResponse><tds:DynamicDNSInformation>` +
    (weaknesses.cloudP2P
      ? `<tt:Type>ServerUpdates</tt:Type><tt:Name>${x(identity.serialNumber.toLowerCase())}.p2p.camgatesim.invalid</tt:Name>`
      : `<tt:Type>NoUpdate</tt:Type>`) +
    `</tds:DynamicDNSInformation></tds:GetDynamicDNSResponse>`,
  GetRemoteDiscoveryMode: ({ weaknesses }) =>
    `<tds:GetRemoteDiscoveryModeResponse><tds:RemoteDiscoveryMode>${
      weaknesses.cloudP2P ? "Discoverable" : "NonDiscoverable"
    }</tds:RemoteDiscoveryMode></tds:GetRemoteDiscoveryModeResponse>`,
  GetDiscoveryMode: () =>
    `<tds:GetDiscoveryModeResponse><tds:DiscoveryMode>Discoverable</tds:DiscoveryMode></tds:GetDiscoveryModeResponse>`,
  GetPasswordComplexityConfiguration: ({ weaknesses }) => {
    const [min, classes] = weaknesses.noPasswordPolicy ? [0, 0] : [8, 1];
    return (
      `<tds:GetPasswordComplexityConfigurationResponse><tds:MinLen>${min}</tds:MinLen>` +
      `<tds:Uppercase>${classes}</tds:Uppercase><tds:Number>${classes}</tds:Number>` +
      `<tds:SpecialChars>${classes}</tds:SpecialChars>` +
      `<tds:BlockUsernameOccurrence>${!weaknesses.noPasswordPolicy}</tds:BlockUsernameOccurrence>` +
      `<tds:PolicyConfigurationLocked>false</tds:PolicyConfigurationLocked>` +
      `</tds:GetPasswordComplexityConfigurationResponse>`
    );
  },
  GetAuthFailureWarningConfiguration: ({ weaknesses, lockout }) =>
    `<tds:GetAuthFailureWarningConfigurationResponse><tds:Enabled>${!weaknesses.noLockout}</tds:Enabled>` +
    `<tds:MonitorPeriod>${Math.round((lockout?.windowMs ?? 30_000) / 1000)}</tds:MonitorPeriod>` +
    `<tds:MaxAuthFailures>${lockout?.maxFailures ?? 5}</tds:MaxAuthFailures>` +
    `</tds:GetAuthFailureWarningConfigurationResponse>`,
};

export const MEDIA_OPERATIONS: Record<string, Builder> = {
  GetProfiles: (state) =>
    `<trt:GetProfilesResponse>${state.profiles.map((profile) => profileXml(state, profile)).join("")}</trt:GetProfilesResponse>`,
  GetVideoSources: ({ video }) =>
    `<trt:GetVideoSourcesResponse><trt:VideoSources token="VideoSource_1"><tt:Framerate>${video.fps}</tt:Framerate>` +
    `<tt:Resolution><tt:Width>${video.width}</tt:Width><tt:Height>${video.height}</tt:Height></tt:Resolution>` +
    `</trt:VideoSources></trt:GetVideoSourcesResponse>`,
  GetStreamUri: (state, request) => {
    const profile = findProfile(state, request.profileToken);
    return profile
      ? `<trt:GetStreamUriResponse>${mediaUri(streamUri(state, profile))}</trt:GetStreamUriResponse>`
      : "";
  },
  GetSnapshotUri: (state, request) => {
    const profile = findProfile(state, request.profileToken);
    return profile
      ? `<trt:GetSnapshotUriResponse>${mediaUri(snapshotUri(state, profile))}</trt:GetSnapshotUriResponse>`
      : "";
  },
};

export function findProfile(
  state: SimCameraState,
  token: string | undefined,
): SimProfile | undefined {
  return state.profiles.find((profile) => profile.token === token);
}

/** Answered to anyone (ONVIF Core: the pre-authentication operations). */
export const PRE_AUTH_OPERATIONS = new Set([
  "GetSystemDateAndTime",
  "GetServices",
  "GetCapabilities",
  "GetHostname",
  "GetEndpointReference",
]);

/** What a weak camera also answers without credentials (everything but READ_SYSTEM_SECRET). */
export const WEAK_OPEN_OPERATIONS = new Set([
  "GetDeviceInformation",
  "GetScopes",
  "GetNetworkInterfaces",
  "GetNetworkProtocols",
  "GetNTP",
  "GetDiscoveryMode",
  "GetProfiles",
  "GetVideoSources",
  "GetStreamUri",
  "GetSnapshotUri",
]);
