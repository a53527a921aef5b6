import { startS3Server } from '@annot/testing';
import {
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { S3ObjectStore } from '../src/index.ts';
import { type HarnessFactory, objectStoreContract } from './contract/index.ts';
import { clientFor } from './helpers/s3-client.ts';
import { recordCommands } from './helpers/s3-recorder.ts';

const s3Harness =
  (versioned: boolean): HarnessFactory =>
  async () => {
    const server = await startS3Server(['contract-originals'], { versioned });
    const client = clientFor(server);
    const recorder = recordCommands(client);
    const store = new S3ObjectStore({
      client,
      bucket: 'contract-originals',
      presign: { expiresSeconds: 900, cacheSeconds: 300 },
    });
    return {
      store,
      // The server's own list of multipart uploads neither completed nor aborted.
      async leftovers() {
        const listed = await client.send(new ListMultipartUploadsCommand({ Bucket: 'contract-originals' }));
        return (listed.Uploads ?? []).map((upload) => upload.Key ?? '?');
      },
      renotifies: true,
      // A process killed mid-put leaves a multipart upload with a part sent and no completion.
      async abandonWrite(key) {
        const { UploadId } = await client.send(
          new CreateMultipartUploadCommand({ Bucket: 'contract-originals', Key: key }),
        );
        await client.send(
          new UploadPartCommand({
            Bucket: 'contract-originals',
            Key: key,
            UploadId,
            PartNumber: 1,
            Body: Buffer.alloc(1024, 7),
          }),
        );
      },
      async fetchUrl(url) {
        const response = await fetch(url);
        if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
        return new Uint8Array(await response.arrayBuffer());
      },
      usedMultipart: (key) => recorder.forKey(key).includes('CompleteMultipartUploadCommand'),
      async close() {
        client.destroy();
        await server.stop();
      },
    };
  };

objectStoreContract('S3 adapter (s3rver)', s3Harness(false));
// The platform's buckets are versioned in AWS: the same contract on a versioned bucket.
objectStoreContract('S3 adapter (s3rver, versioned bucket)', s3Harness(true));
