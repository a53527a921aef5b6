import { startS3Server } from '@annot/testing';
import { S3ObjectStore } from '../src/index.ts';
import { objectStoreContract } from './contract/index.ts';
import { clientFor } from './helpers/s3-client.ts';
import { recordCommands } from './helpers/s3-recorder.ts';

objectStoreContract('S3 adapter (s3rver)', async () => {
  const server = await startS3Server(['contract-originals']);
  const client = clientFor(server);
  const recorder = recordCommands(client);
  const store = new S3ObjectStore({
    client,
    bucket: 'contract-originals',
    presign: { expiresSeconds: 900, cacheSeconds: 300 },
    // The recorder checks, from the client's side, that every unfinished upload had an abort sent.
    onCleanupError: () => {},
  });
  return {
    store,
    leftovers: async () => recorder.pendingUploads(),
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
});
