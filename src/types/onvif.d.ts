// The parts of the untyped `onvif` package (agsh/onvif) that camgate and its tests use.
declare module "onvif" {
  import { EventEmitter } from "node:events";

  type Callback<T> = (error: Error | null, result: T, xml?: string) => void;

  export interface CamOptions {
    hostname: string;
    port?: number;
    username?: string;
    password?: string;
    timeout?: number;
    autoconnect?: boolean;
    path?: string;
  }

  export interface DeviceInformation {
    manufacturer: string;
    model: string;
    firmwareVersion: string;
    serialNumber: string;
    hardwareId: string;
  }

  export class Cam extends EventEmitter {
    constructor(options: CamOptions, callback?: (error: Error | null) => void);
    profiles: { $: { token: string }; name: string }[];
    connect(callback: (error: Error | null) => void): void;
    getDeviceInformation(callback: Callback<DeviceInformation>): void;
    getStreamUri(
      options: { protocol?: string; profileToken?: string },
      callback: Callback<{ uri: string }>,
    ): void;
    getSystemDateAndTime(callback: Callback<Date>): void;
  }

  const onvif: { Cam: typeof Cam };
  export default onvif;
}
