import { createHash, createHmac } from 'node:crypto';

/**
 * An independent check of an S3 SigV4 presigned GET URL (query-string auth, UNSIGNED-PAYLOAD,
 * host as the only signed header), written from AWS's "Authenticating Requests: Using Query
 * Parameters" description with node:crypto only. s3rver does not verify V4 signatures (it only
 * checks expiry), so tests use this to show a tampered URL would be refused.
 */
export function verifyPresignedUrl(
  url: string,
  secretAccessKey: string,
  now: Date,
): { valid: true } | { valid: false; reason: string } {
  const parsed = new URL(url);
  const params = new Map<string, string>();
  for (const pair of parsed.search.slice(1).split('&')) {
    const [name = '', value = ''] = pair.split('=');
    params.set(decodeURIComponent(name), decodeURIComponent(value));
  }
  const get = (name: string) => params.get(name) ?? '';
  if (get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') return { valid: false, reason: 'algorithm' };
  if (get('X-Amz-SignedHeaders') !== 'host') return { valid: false, reason: 'signed headers' };

  const date = get('X-Amz-Date');
  const signedAt = Date.UTC(
    Number(date.slice(0, 4)),
    Number(date.slice(4, 6)) - 1,
    Number(date.slice(6, 8)),
    Number(date.slice(9, 11)),
    Number(date.slice(11, 13)),
    Number(date.slice(13, 15)),
  );
  if (now.getTime() > signedAt + Number(get('X-Amz-Expires')) * 1000)
    return { valid: false, reason: 'expired' };

  const encode = (s: string) =>
    encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const canonicalQuery = [...params]
    .filter(([name]) => name !== 'X-Amz-Signature')
    .map(([name, value]) => [encode(name), encode(value)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const canonicalRequest = [
    'GET',
    parsed.pathname,
    canonicalQuery,
    `host:${parsed.host}\n`,
    'host',
    'UNSIGNED-PAYLOAD',
  ].join('\n');

  const scope = get('X-Amz-Credential').split('/').slice(1).join('/'); // <date>/<region>/<service>/aws4_request
  const [day = '', region = '', service = ''] = scope.split('/');
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    date,
    scope,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, day), region), service), 'aws4_request');
  const expected = createHmac('sha256', signingKey).update(stringToSign).digest('hex');
  return expected === get('X-Amz-Signature') ? { valid: true } : { valid: false, reason: 'signature' };
}
