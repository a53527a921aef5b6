/**
 * Behind CloudFront the server is reached under the ALB's name over HTTP, while browsers use the
 * distribution's https origin (PUBLIC_ORIGIN): an uploader's delete from the public site is their
 * own site's, and their cookie is Secure.
 */
import { readFileSync } from 'node:fs';
import { fixturePath } from '@annot/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, postUpload, type TestApp } from './helper.ts';

const jpeg = readFileSync(fixturePath('Landscape_1.jpg'));
const PUBLIC = 'https://d111111abcdef8.cloudfront.net';
// What CloudFront sends on: the ALB's name as Host (AllViewerExceptHostHeader), HTTP to the ALB.
const VIA_CDN = { host: 'annot-alb-123.eu-west-1.elb.amazonaws.com', 'x-forwarded-proto': 'http' };

describe('behind CloudFront (PUBLIC_ORIGIN)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ PUBLIC_ORIGIN: PUBLIC, TRUST_PROXY: 'true' });
  });
  afterAll(() => t.close());

  it('hands out a Secure uploader cookie although the hop to the server is HTTP', async () => {
    const page = await t.app.inject({ url: '/', headers: VIA_CDN });
    expect(String(page.headers['set-cookie'])).toMatch(/; Secure/);
  });

  it('lets the uploader delete from the public origin, and refuses any other origin', async () => {
    const upload = await postUpload(t.app, [{ filename: 'via-cdn.jpg', content: jpeg }]);
    const cookie = String(upload.headers['set-cookie']).split(';')[0]!;
    const id = upload.json().images[0].id;
    const elsewhere = await t.app.inject({
      method: 'DELETE',
      url: `/api/images/${id}`,
      headers: { ...VIA_CDN, cookie, origin: 'https://elsewhere.example' },
    });
    expect(elsewhere.statusCode).toBe(403);
    const own = await t.app.inject({
      method: 'DELETE',
      url: `/api/images/${id}`,
      headers: { ...VIA_CDN, cookie, origin: PUBLIC },
    });
    expect(own.statusCode).toBe(204);
  });
});
