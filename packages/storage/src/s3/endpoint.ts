import { Sha256 } from '@aws-crypto/sha256-js';
import type { S3Client } from '@aws-sdk/client-s3';
import { SignatureV4 } from '@smithy/signature-v4';

/** Where a bucket's objects are addressed, and how requests to it are signed. */
export interface BucketEndpoint {
  readonly protocol: string;
  readonly hostname: string;
  readonly port: number | undefined;
  /** The path before the key, without a trailing slash: "" (virtual-hosted) or "/<bucket>" (path-style). */
  readonly basePath: string;
  readonly signingRegion: string;
  readonly signingName: string;
}

interface EndpointV1 {
  readonly protocol: string;
  readonly hostname: string;
  readonly port?: number;
  readonly path: string;
}

function formatEndpoint(endpoint: EndpointV1): string {
  const port = endpoint.port === undefined ? '' : `:${endpoint.port}`;
  return `${endpoint.protocol}//${endpoint.hostname}${port}${endpoint.path}`;
}

/**
 * Resolves a bucket's endpoint through the client's own S3 endpoint rules (region, partition,
 * virtual-hosted or path-style, FIPS, dual-stack, custom endpoint), the same answer the SDK reaches
 * for every request. Callers do it once per bucket, not once per URL.
 */
export async function resolveBucketEndpoint(client: S3Client, bucket: string): Promise<BucketEndpoint> {
  const config = client.config;
  const region = await config.region();
  const custom =
    config.isCustomEndpoint && config.endpoint ? formatEndpoint(await config.endpoint()) : undefined;
  const resolved = config.endpointProvider({
    Bucket: bucket,
    Region: region,
    UseFIPS: await config.useFipsEndpoint(),
    UseDualStack: await config.useDualstackEndpoint(),
    ForcePathStyle: config.forcePathStyle,
    Accelerate: config.useAccelerateEndpoint,
    ...(custom ? { Endpoint: custom } : {}),
  });
  const auth = (
    resolved.properties?.authSchemes as { name?: string; signingRegion?: string; signingName?: string }[]
  )?.[0];
  if (auth && auth.name !== 'sigv4') {
    throw new Error(
      `Bucket ${bucket}: the endpoint requires ${auth.name} signing, which presigned URLs here do not support`,
    );
  }
  const url = resolved.url;
  return {
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port === '' ? undefined : Number(url.port),
    basePath: url.pathname.replace(/\/+$/, ''),
    signingRegion: auth?.signingRegion ?? region,
    signingName: auth?.signingName ?? 's3',
  };
}

/**
 * The SigV4 signer for requests to a bucket's endpoint, used by the presigner and the single put:
 * the client's credential provider (the SDK memoizes it and refreshes temporary credentials), the
 * pure-JS SHA-256, cheaper than node:crypto's for these short inputs (`bench/sign.ts`), the path
 * signed as sent (S3 does not encode it again), and no body hashing here (a presigned URL has no
 * body; a put sends its body's SHA-256 in x-amz-content-sha256).
 */
export function bucketSigner(client: S3Client, endpoint: BucketEndpoint): SignatureV4 {
  return new SignatureV4({
    service: endpoint.signingName,
    region: endpoint.signingRegion,
    credentials: client.config.credentials,
    sha256: Sha256,
    uriEscapePath: false,
    applyChecksum: false,
  });
}
