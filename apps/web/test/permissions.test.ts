import cookie from '@fastify/cookie';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Permissions, REFUSALS, UPLOADER_COOKIE } from '../src/auth/permissions.ts';

// The authorisation rules on their own, on a real Fastify with @fastify/cookie signing real cookies:
// each case pins one condition of who may delete and retry (MUTATION.md, module web-auth).
const SECRET = 'a-test-cookie-secret-of-enough-length';
const TOKEN = 'operator-token-1';
const MINE = 'AAAAAAAAAAAAAAAAAAAAAA'; // 22 characters of base64url, as the app makes them

async function appWith(permissions: Permissions): Promise<FastifyInstance> {
  const app = Fastify({ trustProxy: true });
  app.register(cookie, { secret: SECRET });
  app.get('/viewer', async (request) => permissions.viewer(request));
  app.post<{ Body: { uploader: string | null } }>('/authorise', async (request) =>
    permissions.authorise(request, { uploader: request.body.uploader }),
  );
  app.post('/upload', async (request, reply) => {
    const uploader = permissions.uploaderFor(request);
    uploader.remember(reply);
    return { id: uploader.id, isNew: uploader.isNew };
  });
  await app.ready();
  return app;
}

describe('Permissions', () => {
  let app: FastifyInstance;
  let tokenless: FastifyInstance;
  const signed = (value: string) => `${UPLOADER_COOKIE}=${encodeURIComponent(app.signCookie(value))}`;
  beforeAll(async () => {
    app = await appWith(new Permissions({ adminToken: TOKEN }));
    tokenless = await appWith(new Permissions({ adminToken: undefined }));
  });
  afterAll(async () => {
    await app.close();
    await tokenless.close();
  });

  const viewer = async (headers: Record<string, string>, on = app) =>
    (await on.inject({ url: '/viewer', headers })).json();

  describe('viewer', () => {
    it.each([
      [`Bearer ${TOKEN}`, { kind: 'operator' }],
      [`bearer ${TOKEN}`, { kind: 'operator' }],
      [`Bearer   ${TOKEN}  `, { kind: 'operator' }],
      ['Bearer', { kind: 'stranger', reason: 'bad_token' }],
      ['Bearer ', { kind: 'stranger', reason: 'bad_token' }],
      [`Bearer ${TOKEN} extra`, { kind: 'stranger', reason: 'bad_token' }],
      [`Bearer ${TOKEN}x`, { kind: 'stranger', reason: 'bad_token' }],
      [`Bearer x${TOKEN}`, { kind: 'stranger', reason: 'bad_token' }],
      [`Bearer junk Bearer ${TOKEN}`, { kind: 'stranger', reason: 'bad_token' }],
    ])('Authorization %j is %j', async (authorization, expected) => {
      expect(await viewer({ authorization, cookie: signed(MINE) })).toEqual(expected);
    });

    it('another scheme, or a word that only starts like Bearer, leaves the cookie to decide', async () => {
      for (const authorization of ['Basic dXNlcjpwYXNz', `Bearerx ${TOKEN}`, `x Bearer ${TOKEN}`]) {
        expect(await viewer({ authorization, cookie: signed(MINE) })).toEqual({ kind: 'uploader', id: MINE });
      }
    });

    it('without an operator token configured, every bearer token is a bad one', async () => {
      expect(await viewer({ authorization: `Bearer ${TOKEN}` }, tokenless)).toEqual({
        kind: 'stranger',
        reason: 'bad_token',
      });
    });

    it('takes only a validly signed cookie of 22 base64url characters', async () => {
      expect(await viewer({ cookie: signed(MINE) })).toEqual({ kind: 'uploader', id: MINE });
      expect(await viewer({ cookie: signed('abc-_09XYZabc-_09XYZab') })).toEqual({
        kind: 'uploader',
        id: 'abc-_09XYZabc-_09XYZab',
      });
      const none = { kind: 'stranger', reason: 'none' };
      expect(await viewer({})).toEqual(none);
      expect(await viewer({ cookie: `${UPLOADER_COOKIE}=` })).toEqual(none);
      expect(await viewer({ cookie: `${UPLOADER_COOKIE}=${MINE}` })).toEqual(none); // unsigned
      expect(await viewer({ cookie: signed(MINE).replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')) })).toEqual(
        none,
      );
      expect(await viewer({ cookie: signed(MINE.slice(1)) })).toEqual(none); // 21
      expect(await viewer({ cookie: signed(`${MINE}A`) })).toEqual(none); // 23
      expect(await viewer({ cookie: signed(`x${MINE}`) })).toEqual(none);
      expect(await viewer({ cookie: signed(`${MINE.slice(1)}+`) })).toEqual(none);
      expect(await viewer({ cookie: signed(`+${MINE.slice(1)}`) })).toEqual(none);
    });
  });

  describe('authorise (DELETE and retry)', () => {
    const origin = 'http://localhost:80';
    const authorise = async (uploader: string | null, headers: Record<string, string>) =>
      (await app.inject({ method: 'POST', url: '/authorise', payload: { uploader }, headers })).json();
    const allowed = { allowed: true };
    const refused = (message: string) => ({ allowed: false, message });

    it('lets the operator change any image, from anywhere', async () => {
      expect(
        await authorise(null, { authorization: `Bearer ${TOKEN}`, 'sec-fetch-site': 'cross-site' }),
      ).toEqual(allowed);
      expect(await authorise('someone', { authorization: `Bearer ${TOKEN}` })).toEqual(allowed);
    });

    it('refuses a wrong token with its own sentence, even with the uploader cookie', async () => {
      expect(await authorise(MINE, { authorization: 'Bearer wrong', cookie: signed(MINE), origin })).toEqual(
        refused(REFUSALS.badToken),
      );
    });

    it("lets a browser change its own uploads from this site's pages", async () => {
      expect(await authorise(MINE, { cookie: signed(MINE), origin })).toEqual(allowed);
      expect(
        await authorise(MINE, { cookie: signed(MINE), origin, 'sec-fetch-site': 'same-origin' }),
      ).toEqual(allowed);
      expect(await authorise(MINE, { cookie: signed(MINE), origin, 'sec-fetch-site': 'none' })).toEqual(
        allowed,
      );
    });

    it("refuses another browser's image, an image of nobody, and a browser without a cookie", async () => {
      const other = 'BBBBBBBBBBBBBBBBBBBBBB';
      expect(await authorise(other, { cookie: signed(MINE), origin })).toEqual(refused(REFUSALS.stranger));
      expect(await authorise(null, { cookie: signed(MINE), origin })).toEqual(refused(REFUSALS.stranger));
      expect(await authorise(MINE, { origin })).toEqual(refused(REFUSALS.stranger));
    });

    it('refuses its own image when the request is not from this site', async () => {
      for (const headers of [
        {} as Record<string, string>,
        { origin: 'http://evil.example' },
        { origin: 'https://localhost:80' },
        { origin, 'sec-fetch-site': 'cross-site' },
        { origin, 'sec-fetch-site': 'same-site' },
      ]) {
        expect(await authorise(MINE, { cookie: signed(MINE), ...headers })).toEqual(
          refused(REFUSALS.crossSite),
        );
      }
    });
  });

  describe('mayChange and allowed', () => {
    const permissions = new Permissions({ adminToken: TOKEN });
    const record = (uploader: string | null) =>
      ({ uploader, thumbnailStatus: 'failed', annotationStatus: 'failed' }) as const;

    it('offers delete and retry to the operator and to the uploader, to no one else', () => {
      const both = { delete: true, retry: true };
      const neither = { delete: false, retry: false };
      expect(permissions.allowed({ kind: 'operator' }, record(null))).toEqual(both);
      expect(permissions.allowed({ kind: 'uploader', id: MINE }, record(MINE))).toEqual(both);
      expect(permissions.allowed({ kind: 'uploader', id: MINE }, record('other'))).toEqual(neither);
      expect(permissions.allowed({ kind: 'uploader', id: MINE }, record(null))).toEqual(neither);
      expect(permissions.allowed({ kind: 'stranger', reason: 'none' }, record(MINE))).toEqual(neither);
      expect(permissions.mayChange({ kind: 'stranger', reason: 'bad_token' }, record(MINE))).toBe(false);
    });
  });

  describe('uploaderFor', () => {
    const upload = (headers: Record<string, string>) =>
      app.inject({ method: 'POST', url: '/upload', headers });

    it('gives a new browser a new 22-character id in a signed, strict, HttpOnly cookie for 400 days', async () => {
      const response = await upload({});
      const { id, isNew } = response.json();
      expect(isNew).toBe(true);
      expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(await upload({})).not.toEqual(expect.objectContaining({ id }));
      const setCookie = String(response.headers['set-cookie']);
      expect(setCookie).toBe(
        `${UPLOADER_COOKIE}=${app.signCookie(id)}; Max-Age=34560000; Path=/; HttpOnly; SameSite=Strict`,
      );
    });

    it('keeps a known browser its id, and marks the cookie Secure over HTTPS', async () => {
      const response = await upload({ cookie: signed(MINE), 'x-forwarded-proto': 'https' });
      expect(response.json()).toEqual({ id: MINE, isNew: false });
      expect(String(response.headers['set-cookie'])).toMatch(/; Secure(;|$)/);
    });

    it('gives a cross-site request without a cookie no id and sets no cookie; with one, keeps it', async () => {
      const stranger = await upload({ 'sec-fetch-site': 'cross-site' });
      expect(stranger.json()).toEqual({ id: null, isNew: false });
      expect(stranger.headers['set-cookie']).toBeUndefined();
      const known = await upload({ 'sec-fetch-site': 'cross-site', cookie: signed(MINE) });
      expect(known.json()).toEqual({ id: MINE, isNew: false });
      const sameSite = await upload({ 'sec-fetch-site': 'same-site' });
      expect(sameSite.json()).toEqual({ id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/), isNew: true });
    });
  });
});
