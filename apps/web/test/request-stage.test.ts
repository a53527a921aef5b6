import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '@annot/config';
import { parseStageRequestedEvent } from '@annot/events';
import { createStorage, type ObjectStore } from '@annot/storage';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  eventBridgeStageRequester,
  renotifyStageRequester,
  StageRequestError,
} from '../src/events/request-stage.ts';
import { chooseStageRequester } from '../src/system.ts';
import { isUnavailable } from '../src/unavailable.ts';

const KEY = 'uploads/0123456789abcdef0123456789abcdef/red flower+1%.jpg';
const BUCKET = 'annot-originals';

interface Received {
  readonly target: string | undefined;
  readonly contentType: string | undefined;
  readonly authorization: string | undefined;
  readonly body: { Entries: Record<string, string>[] };
}

type Behaviour = 'accept' | 'refuse-entry' | 'server-error' | 'hang';

/** A loopback server speaking EventBridge's PutEvents (AWS JSON 1.1 protocol). */
async function startFakeEventBridge() {
  const received: Received[] = [];
  let behaviour: Behaviour = 'accept';
  const hanging: ServerResponse[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({
        target: req.headers['x-amz-target'] as string | undefined,
        contentType: req.headers['content-type'],
        authorization: req.headers.authorization,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
      });
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(body));
      };
      if (behaviour === 'hang') return void hanging.push(res);
      if (behaviour === 'server-error') {
        return json(500, { __type: 'InternalException', message: 'Internal failure' });
      }
      if (behaviour === 'refuse-entry') {
        return json(200, {
          FailedEntryCount: 1,
          Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'Internal failure' }],
        });
      }
      json(200, { FailedEntryCount: 0, Entries: [{ EventId: '11710aed-b79e-4468-a20b-bb3c0c3b4860' }] });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    received,
    behave(next: Behaviour) {
      behaviour = next;
    },
    reset() {
      received.length = 0;
      behaviour = 'accept';
      for (const res of hanging.splice(0)) res.destroy();
    },
    async stop() {
      for (const res of hanging.splice(0)) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

type FakeEventBridge = Awaited<ReturnType<typeof startFakeEventBridge>>;

const clientConfigFor = (fake: FakeEventBridge) => ({
  endpoint: fake.endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
});

async function rejection(promise: Promise<unknown>): Promise<StageRequestError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StageRequestError);
  return error as StageRequestError;
}

describe('the EventBridge publisher of retries (PutEvents)', () => {
  let fake: FakeEventBridge;
  beforeAll(async () => {
    fake = await startFakeEventBridge();
  });
  afterEach(() => fake.reset());
  afterAll(() => fake?.stop());

  const requester = (timeoutMs = 5000) =>
    eventBridgeStageRequester({
      busName: 'default',
      originalsBucket: BUCKET,
      timeoutMs,
      clientConfig: clientConfigFor(fake),
    });

  it('sends one signed entry on the bus, with the raw key, which the workers parse', async () => {
    const { requestStage, close } = requester();
    try {
      await requestStage(KEY, 'annotation');
    } finally {
      close();
    }
    expect(fake.received).toHaveLength(1);
    const [request] = fake.received;
    expect(request?.target).toBe('AWSEvents.PutEvents');
    expect(request?.contentType).toBe('application/x-amz-json-1.1');
    expect(request?.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/us-east-1\/events\//,
    );
    expect(request?.body.Entries).toHaveLength(1);
    const entry = request!.body.Entries[0]!;
    expect(entry).toMatchObject({
      Source: 'annot.web',
      DetailType: 'Stage Requested',
      EventBusName: 'default',
    });
    // What EventBridge delivers to the rule's target, built from the entry.
    const delivered = {
      version: '0',
      id: 'e-1',
      source: entry.Source,
      'detail-type': entry.DetailType,
      time: '2026-01-01T00:00:00Z',
      detail: JSON.parse(entry.Detail!),
    };
    expect(parseStageRequestedEvent(delivered)).toMatchObject({
      bucket: BUCKET,
      key: KEY,
      stage: 'annotation',
    });
  });

  it('rejects in plain words when PutEvents refuses the entry (FailedEntryCount > 0)', async () => {
    fake.behave('refuse-entry');
    const { requestStage, close } = requester();
    const error = await rejection(requestStage(KEY, 'thumbnail')).finally(close);
    expect(error.message).toBe('The retry could not be sent to the workers; try again shortly.');
    expect(String((error.cause as Error).message)).toContain('InternalFailure');
    expect(isUnavailable(error)).toBe(true);
    expect(fake.received).toHaveLength(1);
  });

  it('rejects after the SDK retries when the service keeps failing', async () => {
    fake.behave('server-error');
    const { requestStage, close } = requester();
    const error = await rejection(requestStage(KEY, 'thumbnail')).finally(close);
    expect(error.message).toBe('The retry could not be sent to the workers; try again shortly.');
    expect(isUnavailable(error)).toBe(true);
    expect(fake.received).toHaveLength(3);
  });

  it('rejects when the service does not answer within EVENT_PUBLISH_TIMEOUT_MS', async () => {
    fake.behave('hang');
    const { requestStage, close } = requester(300);
    const error = await rejection(requestStage(KEY, 'thumbnail')).finally(close);
    expect(error.message).toBe('The retry could not be sent to the workers; try again shortly.');
    expect(isUnavailable(error)).toBe(true);
  });
});

describe('the fallback: raising Object Created again', () => {
  it('resolves when the store raised the event', async () => {
    const raised: string[] = [];
    const store = {
      async renotify(key: string) {
        raised.push(key);
        return true;
      },
    } as unknown as ObjectStore;
    await renotifyStageRequester(store).requestStage(KEY, 'thumbnail');
    expect(raised).toEqual([KEY]);
  });

  it('rejects, not for a retry later, when the original is gone or no worker can be told', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'request-stage-'));
    try {
      const config = loadConfig({ DATA_DIR: dataDir });
      const { originals } = createStorage(config.storage, config.presign);
      const { requestStage } = renotifyStageRequester(originals);

      const missing = await rejection(requestStage('uploads/0123/gone.jpg', 'thumbnail'));
      expect(missing.message).toBe(
        "The image's original is no longer stored, so it cannot be processed again.",
      );
      expect(isUnavailable(missing)).toBe(false);

      await originals.put('uploads/0123/here.jpg', new Uint8Array([1, 2, 3]));
      const noWorkers = await rejection(requestStage('uploads/0123/here.jpg', 'thumbnail'));
      expect(noWorkers.message).toBe('This server runs no workers, so the image cannot be processed again.');
      expect(noWorkers.retryable).toBe(false);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('chooseStageRequester', () => {
  let fake: FakeEventBridge;
  const saved = { ...process.env };
  beforeAll(async () => {
    fake = await startFakeEventBridge();
    // The SDK's own configuration chain: the service endpoint and credentials from the environment.
    process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = fake.endpoint;
    process.env.AWS_ACCESS_KEY_ID = 'AKIDTEST';
    process.env.AWS_SECRET_ACCESS_KEY = 'test-secret';
    // Directory storage carries no region: the SDK's chain finds it.
    process.env.AWS_REGION = 'eu-west-1';
  });
  afterAll(async () => {
    process.env = saved;
    await fake?.stop();
  });

  const storageOf = (dataDir: string) => {
    const config = loadConfig({ DATA_DIR: dataDir });
    return createStorage(config.storage, config.presign);
  };

  it('uses EventBridge when EVENT_BUS_NAME is set, even with an extension that could', async () => {
    const config = loadConfig({
      DATA_DIR: '/tmp/unused',
      EVENT_BUS_NAME: 'default',
      AWS_REGION: 'eu-west-1',
    });
    const extension = { requestStage: async () => expect.fail('the extension must not be used') };
    const requester = chooseStageRequester(config, storageOf('/tmp/unused'), extension);
    try {
      await requester.requestStage(KEY, 'thumbnail');
    } finally {
      requester.close();
    }
    expect(fake.received.map((r) => r.body.Entries[0]?.EventBusName)).toEqual(['default']);
    expect(fake.received[0]?.authorization).toContain('/eu-west-1/events/');
  });

  it("uses the extension's without a bus, and the fallback without either", async () => {
    const config = loadConfig({ DATA_DIR: '/tmp/unused' });
    const asked: string[] = [];
    const requestStage = async (key: string, stage: string) => void asked.push(`${stage} ${key}`);
    await chooseStageRequester(config, storageOf('/tmp/unused'), { requestStage }).requestStage(
      KEY,
      'annotation',
    );
    expect(asked).toEqual([`annotation ${KEY}`]);

    const fallback = chooseStageRequester(config, storageOf('/tmp/unused'), {});
    await expect(fallback.requestStage(KEY, 'annotation')).rejects.toThrow(/no longer stored/);
  });
});
