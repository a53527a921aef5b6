import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';

export interface TestS3Server {
  /** http://127.0.0.1:<port> */
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
  /** The environment a process needs to use this server through the platform's config. */
  env(buckets: { originals: string; thumbnails: string }): Record<string, string>;
  stop(): Promise<void>;
}

/** Starts an S3-compatible server (s3rver) on loopback with the given buckets. */
export async function startS3Server(buckets: readonly string[]): Promise<TestS3Server> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 's3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name, configs: [] })),
  });
  // Before s3rver's own routes, which answer NotImplemented for these two.
  (server as unknown as { middleware: unknown[] }).middleware.unshift(multipartUploadsExtension(directory));
  const address = (await server.run()) as AddressInfo;
  const endpoint = `http://127.0.0.1:${address.port}`;
  // s3rver accepts these fixed credentials.
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  return {
    endpoint,
    region: 'us-east-1',
    credentials,
    env: ({ originals, thumbnails }) => ({
      ORIGINALS_BUCKET: originals,
      THUMBNAILS_BUCKET: thumbnails,
      S3_ENDPOINT: endpoint,
      S3_FORCE_PATH_STYLE: 'true',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    }),
    async stop() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

type KoaContext = {
  method: string;
  url: string;
  status: number;
  type: string;
  body: unknown;
};

/**
 * The two multipart operations s3rver 3.7 does not implement, over its own on-disk store (an
 * upload in progress is `<dir>/<bucket>/._S3rver_uploads/<uploadId>/`, holding its key and parts):
 * ListMultipartUploads (`GET /<bucket>?uploads`, one page) and AbortMultipartUpload
 * (`DELETE /<bucket>/<key>?uploadId=`). Path-style requests only, as the platform's tests send.
 */
function multipartUploadsExtension(directory: string) {
  const uploadsDir = (bucket: string) => path.join(directory, bucket, '._S3rver_uploads');
  const xml = (text: string) => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return async (ctx: KoaContext, next: () => Promise<unknown>) => {
    const url = new URL(ctx.url, 'http://s3');
    const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const bucket = segments[0];
    if (ctx.method === 'GET' && segments.length === 1 && url.searchParams.has('uploads') && bucket) {
      const ids = await readdir(uploadsDir(bucket)).catch(() => [] as string[]);
      const uploads: string[] = [];
      for (const id of ids.sort()) {
        const dir = path.join(uploadsDir(bucket), id);
        const [key, info] = await Promise.all([readFile(path.join(dir, 'key'), 'utf8'), stat(dir)]);
        uploads.push(
          `<Upload><Key>${xml(key)}</Key><UploadId>${id}</UploadId><Initiated>${info.birthtime.toISOString()}</Initiated><StorageClass>STANDARD</StorageClass></Upload>`,
        );
      }
      ctx.type = 'application/xml';
      ctx.body =
        '<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
        `<Bucket>${xml(bucket)}</Bucket><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>${uploads.join('')}</ListMultipartUploadsResult>`;
      return;
    }
    const uploadId = url.searchParams.get('uploadId');
    if (
      ctx.method === 'DELETE' &&
      segments.length >= 2 &&
      uploadId &&
      bucket &&
      /^[0-9a-f]+$/.test(uploadId)
    ) {
      const dir = path.join(uploadsDir(bucket), uploadId);
      const exists = await stat(dir).then(
        () => true,
        () => false,
      );
      if (!exists) {
        ctx.status = 404;
        ctx.type = 'application/xml';
        ctx.body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message><UploadId>${uploadId}</UploadId></Error>`;
        return;
      }
      await rm(dir, { recursive: true, force: true });
      ctx.status = 204;
      return;
    }
    await next();
  };
}
