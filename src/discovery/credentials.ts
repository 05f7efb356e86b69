import type { SecretSealer } from "../pki/index.js";
import type { Repositories } from "../store/index.js";
import type { Credentials } from "./soap-client.js";

const SITE_DEFAULT = "camera-default";

/**
 * Camera credentials, sealed at rest: per camera, or the site default used for cameras that
 * have none of their own. Plaintext exists only in memory, for the call that needs it.
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

  /** The camera's own credentials, else the site default, else none. */
  forCamera(cameraId: string | undefined): Credentials | undefined {
    const own = cameraId === undefined ? undefined : this.repos.cameraSecrets.get(cameraId);
    if (own !== undefined) return this.#open(own, `camera:${cameraId ?? ""}`);
    const fallback = this.repos.siteSecrets.get(SITE_DEFAULT);
    return fallback === undefined ? undefined : this.#open(fallback, `site:${SITE_DEFAULT}`);
  }

  #open(sealed: string, context: string): Credentials {
    const value = JSON.parse(this.sealer.unsealText(sealed, context)) as Partial<Credentials>;
    return { username: String(value.username ?? ""), password: String(value.password ?? "") };
  }
}
