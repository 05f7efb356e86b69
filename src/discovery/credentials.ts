import { CamgateError } from "../errors.js";
import type { Component } from "../lifecycle/index.js";
import { SecretSealer } from "../pki/index.js";
import type { CameraRecord, Repositories, Store } from "../store/index.js";
import type { Credentials } from "./soap-client.js";

const SITE_DEFAULT = "camera-default";

/**
 * Camera credentials, sealed at rest: per camera, or the site default used for cameras that
 * have none of their own. Plaintext exists only in memory, for the call that needs it, and only
 * for a camera a technician approved: a device on the LAN that merely answered discovery never
 * gets one, whatever identity it claims. The composition root opens one vault for the agent.
 */
export class CredentialVault {
  constructor(
    private readonly repos: Pick<Repositories, "cameraSecrets" | "siteSecrets">,
    private readonly sealer: SecretSealer,
    private readonly now: () => number = Date.now,
  ) {}

  setForCamera(cameraId: string, credentials: Credentials): void {
    this.repos.cameraSecrets.put(
      cameraId,
      this.sealer.seal(JSON.stringify(credentials), `camera:${cameraId}`),
      this.now(),
    );
  }

  setSiteDefault(credentials: Credentials): void {
    this.repos.siteSecrets.put(
      SITE_DEFAULT,
      this.sealer.seal(JSON.stringify(credentials), `site:${SITE_DEFAULT}`),
      this.now(),
    );
  }

  /**
   * An approved camera's own credentials, else the site default, else none. A pending camera,
   * or one whose identity no longer matches its pin, gets none.
   */
  forCamera(
    camera: Pick<CameraRecord, "id" | "trust" | "identityIssue"> | undefined,
  ): Credentials | undefined {
    if (camera?.trust !== "approved" || camera.identityIssue?.kind === "mismatch") return undefined;
    return this.ownOf(camera.id) ?? this.siteDefault();
  }

  /** The credentials stored for this camera alone (not the site default). */
  ownOf(cameraId: string): Credentials | undefined {
    const own = this.repos.cameraSecrets.get(cameraId);
    return own === undefined ? undefined : this.#open(own, `camera:${cameraId}`);
  }

  /**
   * When the credentials this camera would get last changed (its own, else the site default;
   * 0: none), so that a change made from the CLI can be noticed.
   */
  changedAt(cameraId: string): number {
    return (
      this.repos.cameraSecrets.updatedMs(cameraId) ??
      this.repos.siteSecrets.updatedMs(SITE_DEFAULT) ??
      0
    );
  }

  siteDefault(): Credentials | undefined {
    const fallback = this.repos.siteSecrets.get(SITE_DEFAULT);
    return fallback === undefined ? undefined : this.#open(fallback, `site:${SITE_DEFAULT}`);
  }

  #open(sealed: string, context: string): Credentials {
    const value = JSON.parse(this.sealer.unsealText(sealed, context)) as Partial<Credentials>;
    return { username: String(value.username ?? ""), password: String(value.password ?? "") };
  }
}

/** Where a component finds the agent's vault once the agent has started. */
export interface VaultHandle {
  readonly vault: CredentialVault;
}

/**
 * The agent's one credential vault, opened by the composition root when the agent starts (after
 * the store: the sealing key is read then, never at construction).
 */
export class AgentVault implements Component, VaultHandle {
  readonly name = "vault";
  #vault: CredentialVault | undefined;

  constructor(
    private readonly store: Pick<Store, "repos">,
    private readonly keyFile: string,
  ) {}

  async start(signal: AbortSignal): Promise<void> {
    const sealer = await SecretSealer.open(this.keyFile);
    signal.throwIfAborted();
    this.#vault = new CredentialVault(this.store.repos, sealer);
  }

  async stop(): Promise<void> {
    this.#vault = undefined;
  }

  get vault(): CredentialVault {
    if (!this.#vault) throw new VaultClosedError("the credential vault is not open");
    return this.#vault;
  }
}

export class VaultClosedError extends CamgateError {}
