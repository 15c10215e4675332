import { createPrivateKey, type KeyObject, randomUUID, sign } from "node:crypto";

/** How long a Voice API token stays valid; each call gets a fresh one, so this only bounds clock skew. */
const TOKEN_LIFETIME_SECONDS = 300;

/**
 * Signs the JWT the Voice API takes as `Authorization: Bearer`: RS256 with the
 * application's private key, carrying `application_id`, `iat`, `exp` and a
 * unique `jti`, as Vonage's JWT guide lists them.
 */
export class VonageApplicationToken {
  readonly #applicationId: string;
  readonly #key: KeyObject;
  readonly #nowMs: () => number;

  constructor(applicationId: string, privateKeyPem: string, nowMs: () => number) {
    this.#applicationId = applicationId;
    this.#key = createPrivateKey(privateKeyPem);
    this.#nowMs = nowMs;
  }

  mint(): string {
    const iat = Math.floor(this.#nowMs() / 1000);
    const header = segment({ alg: "RS256", typ: "JWT" });
    const claims = segment({ application_id: this.#applicationId, iat, exp: iat + TOKEN_LIFETIME_SECONDS, jti: randomUUID() });
    const signature = sign("RSA-SHA256", Buffer.from(`${header}.${claims}`), this.#key).toString("base64url");
    return `${header}.${claims}.${signature}`;
  }
}

function segment(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}
