import { startS3Server, type TestS3Server } from '@annot/testing';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../src/index.ts';
import { clientFor } from './helpers/s3-client.ts';
import { recordCommands } from './helpers/s3-recorder.ts';
import { endlessStream, failingStream, generatedStream } from './helpers/streams.ts';

const MiB = 1024 * 1024;
const BUCKET = 'multipart-test';

// What the S3 adapter sends, beyond what the contract can see: which requests make up a put, and
// that a failed multipart upload is aborted before put() settles.
describe('S3 adapter: multipart uploads', () => {
  let server: TestS3Server;
  let client: S3Client;
  let recorder: ReturnType<typeof recordCommands>;
  let store: S3ObjectStore;
  const warnings: { details: Record<string, unknown>; message: string }[] = [];

  beforeAll(async () => {
    server = await startS3Server([BUCKET]);
    client = clientFor(server);
    recorder = recordCommands(client);
    store = new S3ObjectStore({
      client,
      bucket: BUCKET,
      presign: { expiresSeconds: 900, cacheSeconds: 300 },
      logger: { warn: (details, message) => void warnings.push({ details, message }) },
    });
  });
  afterAll(async () => {
    client?.destroy();
    await server?.stop();
  });

  it('sends a small stream as one PutObject and a large one as parts', { timeout: 20_000 }, async () => {
    await store.put('uploads/small.bin', generatedStream(MiB).stream, { contentLength: MiB });
    // The one PutObject is SinglePut's own request (s3-single-put.test.ts), not an SDK command.
    expect(recorder.forKey('uploads/small.bin')).toEqual([]);
    expect(await store.head('uploads/small.bin')).toMatchObject({ size: MiB });
    await store.put('uploads/large.bin', generatedStream(11 * MiB).stream);
    const names = recorder.forKey('uploads/large.bin');
    expect(names[0]).toBe('CreateMultipartUploadCommand');
    expect(names.filter((n) => n === 'UploadPartCommand')).toHaveLength(3); // 5 + 5 + 1 MiB
    expect(names.at(-1)).toBe('CompleteMultipartUploadCommand');
  });

  it('sends a buffer as one PutObject', async () => {
    await store.put('uploads/buffer.bin', Buffer.alloc(6 * MiB));
    expect(recorder.forKey('uploads/buffer.bin')).toEqual([]);
    expect(await store.head('uploads/buffer.bin')).toMatchObject({ size: 6 * MiB });
  });

  it('aborts the multipart upload when the body fails, and reports the body error', {
    timeout: 20_000,
  }, async () => {
    const key = 'uploads/fails.bin';
    await expect(store.put(key, failingStream(6 * MiB))).rejects.toThrow('client went away');
    const sent = recorder.commands.filter((c) => c.key === key);
    const uploadId = sent.find((c) => c.name === 'UploadPartCommand')?.uploadId;
    expect(uploadId).toBeTruthy();
    expect(sent.map((c) => c.name)).not.toContain('CompleteMultipartUploadCommand');
    expect(recorder.abortedUploads()).toContain(uploadId);
    // The abort reached the server (@annot/testing adds AbortMultipartUpload to s3rver): nothing
    // of the upload is left there, and no cleanup warning was logged.
    const abort = sent.find((c) => c.name === 'AbortMultipartUploadCommand');
    expect(abort?.ok).toBe(true);
    expect(warnings.filter((w) => w.details.uploadId === uploadId)).toEqual([]);
    expect((await server.multipartUploads(BUCKET)).map((u) => u.uploadId)).not.toContain(uploadId);
  });

  it('aborts the multipart upload when a part fails, and reports the part error', {
    timeout: 20_000,
  }, async () => {
    const key = 'uploads/part-fails.bin';
    const failing = clientFor(server);
    const failingRecorder = recordCommands(failing);
    // Part 2 is refused as S3 would refuse it (after the recorder, so it is recorded as failed).
    failing.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { PartNumber?: number };
        if (context.commandName === 'UploadPartCommand' && input.PartNumber === 2) {
          throw Object.assign(new Error('part 2 refused'), { name: 'InternalError' });
        }
        return next(args);
      },
      { step: 'initialize', name: 'failPartTwo', priority: 'low' },
    );
    const failingStore = new S3ObjectStore({
      client: failing,
      bucket: BUCKET,
      presign: { expiresSeconds: 900, cacheSeconds: 300 },
    });
    try {
      const body = generatedStream(16 * MiB).stream;
      await expect(failingStore.put(key, body)).rejects.toThrow('part 2 refused');
      const names = failingRecorder.forKey(key);
      expect(names).not.toContain('CompleteMultipartUploadCommand');
      expect(names.at(-1)).toBe('AbortMultipartUploadCommand');
      expect(failingRecorder.pendingUploads()).toEqual([]);
      expect(body.destroyed).toBe(true);
    } finally {
      failing.destroy();
    }
  });

  it('has sent the abort by the time an aborted put settles', { timeout: 20_000 }, async () => {
    const key = 'uploads/aborted.bin';
    const controller = new AbortController();
    const body = endlessStream((total) => {
      if (total >= 12 * MiB && !controller.signal.aborted) controller.abort();
    });
    await expect(store.put(key, body, { signal: controller.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
    // No waiting: the abort must already be on record when put() rejects.
    const names = recorder.forKey(key);
    expect(names).toContain('UploadPartCommand');
    expect(names.at(-1)).toBe('AbortMultipartUploadCommand');
    expect(body.destroyed).toBe(true);
  });
});
