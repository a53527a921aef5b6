import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ImageRecord } from '@annot/db';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The one owner of "who may change this image": the browser that uploaded it (by its signed
 * uploader cookie) and the operator (by the bearer token). Routes, the image page and the
 * gallery's buttons all ask here.
 */

/** The cookie that names the uploading browser (signed by @fastify/cookie). */
export const UPLOADER_COOKIE = 'annot_uploader';
/** 400 days: the longest Max-Age browsers keep (Chrome caps longer ones to this). */
const COOKIE_MAX_AGE_SECONDS = 400 * 24 * 60 * 60;
/** 16 random bytes, base64url: 22 characters. */
const UPLOADER_ID = /^[A-Za-z0-9_-]{22}$/;

/** Who is asking, as far as changing images goes. */
export type Viewer =
  | { readonly kind: 'operator' }
  /** A browser with a valid uploader cookie. */
  | { readonly kind: 'uploader'; readonly id: string }
  /** Anyone else: no cookie, a tampered one, or a wrong token. */
  | { readonly kind: 'stranger'; readonly reason: 'none' | 'bad_token' };

/** What a viewer may do with one image (what the page and the gallery show as buttons). */
export interface Allowed {
  readonly delete: boolean;
  readonly retry: boolean;
}

export type Decision = { readonly allowed: true } | { readonly allowed: false; readonly message: string };

/** The refusals, in plain words (one owner for each sentence). */
export const REFUSALS = {
  stranger:
    'Only the browser that uploaded this image, or the operator, may change it. This browser did not upload it.',
  badToken: 'The operator token is not valid.',
  crossSite: 'This change was asked for from another site; make it from this site’s own pages.',
} as const;

export class Permissions {
  /** The operator token's SHA-256: compared digest to digest, so no length is given away. */
  readonly #adminTokenDigest: Buffer | null;
  /** PUBLIC_ORIGIN: the origin browsers use behind a CDN, or undefined. */
  readonly #publicOrigin: string | undefined;

  constructor(options: { adminToken: string | undefined; publicOrigin?: string | undefined }) {
    this.#adminTokenDigest = options.adminToken ? digest(options.adminToken) : null;
    this.#publicOrigin = options.publicOrigin;
  }

  /**
   * Who the request comes from. A bearer token, when sent, decides alone; another scheme (the
   * HTTP Basic credentials of a deployment behind a password prompt) is not ours and is ignored.
   */
  viewer(request: FastifyRequest): Viewer {
    const authorization = request.headers.authorization;
    if (authorization !== undefined && /^Bearer(\s|$)/i.test(authorization)) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
      return match && this.#isAdminToken(match[1]!)
        ? { kind: 'operator' }
        : { kind: 'stranger', reason: 'bad_token' };
    }
    const id = uploaderId(request);
    return id ? { kind: 'uploader', id } : { kind: 'stranger', reason: 'none' };
  }

  /** Whether this viewer may change the image at all (page and gallery buttons). */
  mayChange(viewer: Viewer, record: Pick<ImageRecord, 'uploader'>): boolean {
    if (viewer.kind === 'operator') return true;
    return viewer.kind === 'uploader' && record.uploader !== null && record.uploader === viewer.id;
  }

  /** The actions to offer this viewer on this image. */
  allowed(
    viewer: Viewer,
    record: Pick<ImageRecord, 'uploader' | 'thumbnailStatus' | 'annotationStatus'>,
  ): Allowed {
    // Retry is offered per failed stage (present/actions.ts): a failed stage can be retried
    // while the other one is still pending.
    const may = this.mayChange(viewer, record);
    return { delete: may, retry: may };
  }

  /**
   * May this request change this image (DELETE, retry)? The operator's token may change any; a
   * cookie only its own browser's uploads, and only when the request comes from this site.
   */
  authorise(request: FastifyRequest, record: Pick<ImageRecord, 'uploader'>): Decision {
    const viewer = this.viewer(request);
    if (viewer.kind === 'operator') return { allowed: true };
    if (viewer.kind === 'stranger' && viewer.reason === 'bad_token') {
      return { allowed: false, message: REFUSALS.badToken };
    }
    if (!this.mayChange(viewer, record)) return { allowed: false, message: REFUSALS.stranger };
    if (!fromOwnSite(request, this.#publicOrigin)) return { allowed: false, message: REFUSALS.crossSite };
    return { allowed: true };
  }

  /**
   * The uploader id for an upload: the browser's own when its cookie is valid, else a new one.
   * `remember` sets (or refreshes) the cookie on the reply. A request another site made the
   * browser send (a link, a form) carries no SameSite=Strict cookie: it gets no id (its uploads
   * belong to nobody) and sets no cookie, which would otherwise replace the browser's own id and
   * take away its rights to what it uploaded before.
   */
  uploaderFor(request: FastifyRequest): {
    id: string | null;
    /** The browser had no valid cookie: this id is new. */
    isNew: boolean;
    remember: (reply: FastifyReply) => void;
  } {
    const known = uploaderId(request);
    if (known === null && request.headers['sec-fetch-site'] === 'cross-site') {
      return { id: null, isNew: false, remember: () => {} };
    }
    const id = known ?? randomBytes(16).toString('base64url');
    return {
      id,
      isNew: known === null,
      remember: (reply) =>
        reply.setCookie(UPLOADER_COOKIE, id, {
          signed: true,
          httpOnly: true,
          sameSite: 'strict',
          path: '/',
          // request.protocol follows X-Forwarded-Proto only with TRUST_PROXY (behind the ALB);
          // behind CloudFront, which reaches the ALB over HTTP, PUBLIC_ORIGIN says what browsers use.
          secure: request.protocol === 'https' || this.#publicOrigin?.startsWith('https:') === true,
          maxAge: COOKIE_MAX_AGE_SECONDS,
        }),
    };
  }

  /** Constant-time comparison of the digests (equal lengths whatever was sent). */
  #isAdminToken(candidate: string): boolean {
    if (!this.#adminTokenDigest) return false;
    return timingSafeEqual(digest(candidate), this.#adminTokenDigest);
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** The browser's uploader id from its cookie, when the signature is valid. */
function uploaderId(request: FastifyRequest): string | null {
  const raw = request.cookies?.[UPLOADER_COOKIE];
  if (!raw) return null;
  const unsigned = request.unsignCookie(raw);
  return unsigned.valid && unsigned.value !== null && UPLOADER_ID.test(unsigned.value)
    ? unsigned.value
    : null;
}

/**
 * A state-changing request authorised by a cookie must come from this site's own pages: its
 * Origin is this request's own scheme and host (or PUBLIC_ORIGIN, the name browsers use behind a
 * CDN), and the browser does not call it cross-site (Sec-Fetch-Site). Browsers send Origin with
 * every DELETE and POST, so a missing one is refused.
 */
function fromOwnSite(request: FastifyRequest, publicOrigin: string | undefined): boolean {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = request.headers.origin;
  if (origin === undefined) return false;
  return origin === publicOrigin || origin === `${request.protocol}://${request.host}`;
}
