// Signing cost: `node bench/presign.ts`. Compares the SDK's getSignedUrl with this package's
// presigner (cache off, so every URL is a signature), for the same client. No network is used.
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { S3ObjectStore } from '../src/index.ts';

const N = 2000;
const client = new S3Client({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
});
const store = new S3ObjectStore({
  client,
  bucket: 'annot-thumbnails',
  presign: { expiresSeconds: 3600, cacheSeconds: 0 },
});
const keys = Array.from({ length: N }, (_, i) => `thumbnails/${i.toString(36)}/photo ${i}.jpg`);

async function time(label: string, sign: (key: string) => Promise<string>): Promise<void> {
  await sign('warm/up.jpg');
  const start = performance.now();
  for (const key of keys) await sign(key);
  const ms = performance.now() - start;
  console.log(`${label}: ${((N / ms) * 1000).toFixed(0)} URLs/s (${((ms * 1000) / N).toFixed(1)} µs each)`);
}

await time('getSignedUrl', (key) =>
  getSignedUrl(client, new GetObjectCommand({ Bucket: 'annot-thumbnails', Key: key }), { expiresIn: 3600 }),
);
await time('S3ObjectStore.urlFor (no cache)', (key) => store.urlFor(key));
console.log('stats', store.presignStats());
client.destroy();
