// Uploads as a browser sends them: multipart/form-data, field "image", with a Content-Length.
import { request } from 'node:http';
import { Readable } from 'node:stream';

export interface UploadResult {
  readonly status: number;
  readonly body: string;
  readonly ms: number;
}

/** One file through fetch (undici's FormData): the small, concurrent case. */
export async function uploadFile(
  baseUrl: string,
  name: string,
  bytes: Uint8Array<ArrayBuffer>,
  type: string,
): Promise<UploadResult> {
  const form = new FormData();
  form.append('image', new Blob([bytes], { type }), name);
  const started = performance.now();
  const response = await fetch(`${baseUrl}/upload`, {
    method: 'POST',
    body: form,
    headers: { accept: 'application/json' },
  });
  const body = await response.text();
  return { status: response.status, body, ms: performance.now() - started };
}

const PADDING = Buffer.alloc(64 * 1024);

/**
 * A file of exactly `size` bytes that starts with a real image (so its type, header and pixel
 * count pass inspection) followed by zero padding, generated as it is sent: the client holds
 * 64 KiB at a time, so any memory growth measured is the server's.
 */
async function* paddedImage(head: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  yield head;
  let left = size - head.byteLength;
  while (left > 0) {
    const chunk = left >= PADDING.byteLength ? PADDING : PADDING.subarray(0, left);
    left -= chunk.byteLength;
    yield chunk;
  }
}

/**
 * Streams one multipart upload of `size` bytes over node:http. Resolves with the response even
 * when the server answers before the body is sent (a 413 may come early): a write error after a
 * response is expected then, not a failure.
 */
export function streamUpload(
  baseUrl: string,
  name: string,
  head: Uint8Array,
  size: number,
): Promise<UploadResult> {
  const boundary = `----bench${Math.random().toString(16).slice(2)}`;
  const preamble = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="${name}"\r\n` +
      'Content-Type: image/jpeg\r\n\r\n',
  );
  const epilogue = Buffer.from(`\r\n--${boundary}--\r\n`);
  const body = Readable.from(
    (async function* () {
      yield preamble;
      yield* paddedImage(head, size);
      yield epilogue;
    })(),
  );
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(`${baseUrl}/upload`, {
      method: 'POST',
      headers: {
        accept: 'application/json',
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': String(preamble.byteLength + size + epilogue.byteLength),
      },
    });
    req.on('response', (response) => {
      answered = true;
      body.unpipe(req);
      body.destroy();
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
      });
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body: text, ms: performance.now() - started }),
      );
      response.on('error', reject);
    });
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    body.pipe(req);
  });
}
