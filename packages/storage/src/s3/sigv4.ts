import { createHash, createHmac, createSecretKey, type KeyObject } from 'node:crypto';

export interface SigningCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
}

export interface HeaderSignInput {
  readonly method: string;
  /** The path exactly as sent (S3 signs it without encoding it again). */
  readonly path: string;
  /**
   * The headers to sign, names in lower case, `host` and `x-amz-content-sha256` among them.
   * `x-amz-date` (and `x-amz-security-token` with temporary credentials) are added here.
   */
  readonly headers: Record<string, string>;
  readonly credentials: SigningCredentials;
  readonly region: string;
  readonly service: string;
  readonly now: Date;
}

/**
 * AWS Signature Version 4 in the Authorization header, for a request without a query string
 * (AWS's "Signature Calculations for the Authorization Header"). The SDK's SignatureV4 gives the
 * same signature; this one costs one SHA-256 and one HMAC per request: the signing key is derived
 * once per day, region, service and secret (the SDK's also hashes the credentials with an HMAC
 * each time, to look its cache up), and is kept as a KeyObject, which node:crypto takes without
 * converting it again. Returns the headers to send: the input's plus x-amz-date, the session token
 * when there is one, and authorization.
 */
export class HeaderSigner {
  #cached: { id: string; key: KeyObject } | undefined;

  sign(input: HeaderSignInput): Record<string, string> {
    const amzDate = input.now
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d{3}/, '');
    const day = amzDate.slice(0, 8);
    const headers: Record<string, string> = { ...input.headers, 'x-amz-date': amzDate };
    if (input.credentials.sessionToken) headers['x-amz-security-token'] = input.credentials.sessionToken;
    const names = Object.keys(headers).sort();
    const signedHeaders = names.join(';');
    let canonical = `${input.method}\n${input.path}\n\n`;
    for (const name of names) canonical += `${name}:${headers[name]!.trim().replace(/\s+/g, ' ')}\n`;
    canonical += `\n${signedHeaders}\n${headers['x-amz-content-sha256']}`;
    const scope = `${day}/${input.region}/${input.service}/aws4_request`;
    const toSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${createHash('sha256').update(canonical).digest('hex')}`;
    const signature = createHmac('sha256', this.#signingKey(input, day)).update(toSign).digest('hex');
    headers.authorization =
      `AWS4-HMAC-SHA256 Credential=${input.credentials.accessKeyId}/${scope}, ` +
      `SignedHeaders=${signedHeaders}, Signature=${signature}`;
    return headers;
  }

  #signingKey(input: HeaderSignInput, day: string): KeyObject {
    const id = `${day}/${input.region}/${input.service}\n${input.credentials.secretAccessKey}`;
    if (this.#cached?.id !== id) {
      let key = createHmac('sha256', `AWS4${input.credentials.secretAccessKey}`).update(day).digest();
      for (const part of [input.region, input.service, 'aws4_request']) {
        key = createHmac('sha256', key).update(part).digest();
      }
      this.#cached = { id, key: createSecretKey(key) };
    }
    return this.#cached.key;
  }
}
