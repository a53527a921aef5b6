import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helmetOptions, securityHeaders } from '../src/plugins/security.ts';
import { buildTestApp, postUpload, type TestApp } from './helper.ts';

/**
 * The exact header set @fastify/helmet 13.2 sent on every response of this app (recorded from it
 * before the headers were computed once at start instead), with the S3 adapter on an endpoint of
 * http://127.0.0.1:9. Any change to a security header must show up here.
 */
const RECORDED = {
  'content-security-policy':
    "default-src 'self';script-src 'self';style-src 'self';img-src 'self' data: http://127.0.0.1:9;connect-src 'self';font-src 'self';form-action 'self';frame-ancestors 'none';object-src 'none';base-uri 'self'",
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'same-origin',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'SAMEORIGIN',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
};

/** Headers that are not about security: what a route, Fastify or HTTP itself adds. */
const OTHER = new Set([
  'content-type',
  'content-length',
  'date',
  'connection',
  'keep-alive',
  'etag',
  'cache-control',
  'location',
  // The upload page's uploader cookie (its attributes are tested in actions.test.ts).
  'set-cookie',
]);

function securityPart(headers: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !OTHER.has(name)));
}

describe('security headers', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp(
      {
        ORIGINALS_BUCKET: 'originals-bucket',
        THUMBNAILS_BUCKET: 'thumbnails-bucket',
        S3_ENDPOINT: 'http://127.0.0.1:9',
        S3_FORCE_PATH_STYLE: 'true',
      },
      { s3ClientConfig: { credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'not-a-secret' } } },
    );
  });
  afterAll(() => t.close());

  it('are computed once to exactly the set helmet sent on each request', () => {
    expect(securityHeaders(helmetOptions(['http://127.0.0.1:9']))).toEqual(RECORDED);
  });

  it.each([
    ['an HTML page', 'GET', '/', 200],
    ['the gallery', 'GET', '/gallery', 200],
    ['a HEAD of the gallery', 'HEAD', '/gallery', 200],
    ['the JSON API', 'GET', '/api/images', 200],
    ['a static asset', 'GET', '/static/app.css', 200],
    ['the health check', 'GET', '/health', 200],
    ['an unknown page', 'GET', '/nope', 404],
    ['a request the schema refuses', 'GET', '/gallery?cursor=bad', 400],
  ] as const)('are the same on %s', async (_what, method, url, status) => {
    const response = await t.app.inject({ method, url, headers: { accept: 'text/html' } });

    expect(response.statusCode).toBe(status);
    expect(securityPart(response.headers)).toEqual(RECORDED);
  });

  it('are the same on an upload refused before anything is stored', async () => {
    const response = await postUpload(t.app, [{ filename: 'notes.txt', content: 'not an image' }]);

    expect(response.statusCode).toBe(400);
    expect(securityPart(response.headers)).toEqual(RECORDED);
  });
});
