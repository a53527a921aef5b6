// s3rver keeps a multipart upload, until it is completed, as a directory
// `<root>/<bucket>/._S3rver_uploads/<uploadId>/` holding the key and the parts, but implements
// neither ListMultipartUploads nor AbortMultipartUpload. Both are added here, on that directory,
// so that code which cleans up unfinished uploads can be tested against it, and tests can see
// what an upload cut short left behind.
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';

export interface MultipartUpload {
  readonly key: string;
  readonly uploadId: string;
  readonly initiated: Date;
}

function uploadsDirectory(root: string, bucket: string): string {
  return path.join(root, bucket, '._S3rver_uploads');
}

/** The multipart uploads of a bucket that were neither completed nor aborted, oldest first. */
export async function listMultipartUploads(
  root: string,
  bucket: string,
  prefix = '',
): Promise<MultipartUpload[]> {
  const directory = uploadsDirectory(root, bucket);
  let ids: string[];
  try {
    ids = await readdir(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const uploads: MultipartUpload[] = [];
  for (const uploadId of ids) {
    const keyFile = path.join(directory, uploadId, 'key');
    try {
      const [key, info] = await Promise.all([readFile(keyFile, 'utf8'), stat(keyFile)]);
      if (key.startsWith(prefix)) uploads.push({ key, uploadId, initiated: info.mtime });
    } catch (error) {
      // Completed or aborted while it was being read.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return uploads.sort((a, b) => a.initiated.getTime() - b.initiated.getTime());
}

/** The slice of Koa's context the middleware uses. */
interface KoaContext {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string | string[] | undefined>;
  status: number;
  body: unknown;
  type: string;
}
type KoaMiddleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;

const escapeXml = (text: string) => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Koa middleware answering ListMultipartUploads (GET /<bucket>?uploads, with `prefix`) and
 * AbortMultipartUpload (DELETE /<bucket>/<key>?uploadId=) on s3rver's store at `root`, path-style
 * requests only; everything else goes on to s3rver. Put it first: `server.middleware.unshift(...)`.
 */
export function multipartUploadsMiddleware(root: string): KoaMiddleware {
  const xml = (ctx: KoaContext, status: number, body: string) => {
    ctx.status = status;
    ctx.type = 'application/xml';
    ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
  };
  return async (ctx, next) => {
    const [, bucket = '', ...rest] = ctx.path.split('/');
    const key = rest.map(decodeURIComponent).join('/');
    if (ctx.method === 'GET' && bucket && key === '' && 'uploads' in ctx.query) {
      const prefix = typeof ctx.query.prefix === 'string' ? ctx.query.prefix : '';
      const uploads = await listMultipartUploads(root, bucket, prefix);
      const entries = uploads
        .map(
          (u) =>
            `<Upload><Key>${escapeXml(u.key)}</Key><UploadId>${u.uploadId}</UploadId>` +
            `<Initiated>${u.initiated.toISOString()}</Initiated><StorageClass>STANDARD</StorageClass></Upload>`,
        )
        .join('');
      xml(
        ctx,
        200,
        '<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
          `<Bucket>${escapeXml(bucket)}</Bucket><Prefix>${escapeXml(prefix)}</Prefix>` +
          `<MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>${entries}` +
          '</ListMultipartUploadsResult>',
      );
      return;
    }
    const uploadId = ctx.query.uploadId;
    if (ctx.method === 'DELETE' && bucket && key && typeof uploadId === 'string') {
      const directory = path.join(uploadsDirectory(root, bucket), path.basename(uploadId));
      const found = await readFile(path.join(directory, 'key'), 'utf8').catch(() => undefined);
      if (found !== key) {
        xml(
          ctx,
          404,
          '<Error><Code>NoSuchUpload</Code><Message>The specified multipart upload does not exist.</Message>' +
            `<UploadId>${escapeXml(uploadId)}</UploadId></Error>`,
        );
        return;
      }
      await rm(directory, { recursive: true, force: true });
      ctx.status = 204;
      return;
    }
    await next();
  };
}
