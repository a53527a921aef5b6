// Signing cost of one single-put request: `pnpm --filter @annot/storage run bench:sign`
// (or `node bench/sign.ts`). Signs the same PUT (the headers single-put.ts sends) N times with
// each signer in one process, in alternating rounds so that other work on a shared machine
// weighs on all alike, and prints µs per call, the difference and the ratio, and the load.
// No network is used. single-put.ts signs with the SDK's SignatureV4 and sha256-js. The
// hand-written signer it replaced (sigv4.ts) is gone (its figures: BENCHMARKS.md "Uploads"), so the
// baseline here is the least any SigV4 signer does: one SHA-256 of the canonical request and one
// HMAC with a kept key, which is what sigv4.ts did.
import { createHash, createHmac, createSecretKey } from 'node:crypto';
import os from 'node:os';
import { Sha256 as Sha256Js } from '@aws-crypto/sha256-js';
import { S3Client } from '@aws-sdk/client-s3';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

const N = Number(process.env.SIGN_BENCH_N ?? 5000);
const ROUNDS = 5;

const client = new S3Client({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
});
const body = Buffer.alloc(83 * 1024, 7);
const sha = createHash('sha256').update(body).digest();
const host = 'annot-originals.s3.eu-west-1.amazonaws.com';
const path = '/uploads/0b1c2d3e4f/photo%20of%20a%20cat.jpg';
const headers = (): Record<string, string> => ({
  host,
  'content-length': String(body.byteLength),
  'content-type': 'image/jpeg',
  'x-amz-content-sha256': sha.toString('hex'),
  'x-amz-checksum-sha256': sha.toString('base64'),
});

const floorKey = createSecretKey(createHash('sha256').update('a signing key').digest());
const canonical = `PUT\n${path}\n\n${Object.entries(headers())
  .map(([name, value]) => `${name}:${value}`)
  .join('\n')}\n\n${Object.keys(headers()).join(';')}\n${sha.toString('hex')}`;
const sdkSigner = (sha256: ConstructorParameters<typeof SignatureV4>[0]['sha256']) =>
  new SignatureV4({
    service: 's3',
    region: 'eu-west-1',
    credentials: client.config.credentials,
    sha256,
    uriEscapePath: false,
    applyChecksum: false,
  });
// The S3 client's own hash (node:crypto) and the pure-JS one single-put.ts and the presigner pass.
const sdkNode = sdkSigner(client.config.sha256);
const sdkJs = sdkSigner(Sha256Js);

const signers: Record<string, () => Promise<unknown>> = {
  'floor: one SHA-256 and one HMAC': async () => {
    const amzDate = new Date()
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d{3}/, '');
    const hashed = createHash('sha256').update(canonical).digest('hex');
    return createHmac('sha256', floorKey)
      .update(`AWS4-HMAC-SHA256\n${amzDate}\n${amzDate.slice(0, 8)}/eu-west-1/s3/aws4_request\n${hashed}`)
      .digest('hex');
  },
  'SDK SignatureV4, client sha256 (node:crypto)': () =>
    sdkNode.sign(
      new HttpRequest({ method: 'PUT', protocol: 'https:', hostname: host, path, headers: headers() }),
      {
        signingDate: new Date(),
      },
    ),
  'SDK SignatureV4, @aws-crypto/sha256-js': () =>
    sdkJs.sign(
      new HttpRequest({ method: 'PUT', protocol: 'https:', hostname: host, path, headers: headers() }),
      {
        signingDate: new Date(),
      },
    ),
};

const printLoad = (when: string) => {
  const [one, five] = os.loadavg();
  console.log(
    `load average ${when}: ${one!.toFixed(2)} (1 min), ${five!.toFixed(2)} (5 min) on ${os.availableParallelism()} cores`,
  );
};

console.log(
  `Node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'}; ${N} signatures × ${ROUNDS} rounds each`,
);
printLoad('before');
const wall: Record<string, number[]> = {};
const cpu: Record<string, number[]> = {};
for (const [name, sign] of Object.entries(signers)) {
  for (let i = 0; i < 500; i++) await sign(); // warm up (JIT, signing-key caches)
  wall[name] = [];
  cpu[name] = [];
}
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, sign] of Object.entries(signers)) {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    for (let i = 0; i < N; i++) await sign();
    const ms = performance.now() - start;
    const used = process.cpuUsage(cpuStart);
    wall[name]!.push((ms * 1000) / N);
    cpu[name]!.push((used.user + used.system) / N);
  }
}
printLoad('after');

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const base = median(cpu['floor: one SHA-256 and one HMAC']!);
console.log('\nsigner                                        wall µs/call  CPU µs/call  vs floor (CPU)');
for (const name of Object.keys(signers)) {
  const c = median(cpu[name]!);
  console.log(
    `${name.padEnd(45)} ${median(wall[name]!).toFixed(1).padStart(12)} ${c.toFixed(1).padStart(12)}  ` +
      `${(c / base).toFixed(2)}× (+${(c - base).toFixed(1)} µs = ${((c - base) / 1000).toFixed(3)} ms)`,
  );
}
console.log('(medians over the rounds; an upload costs ~3 ms of CPU in all, BENCHMARKS.md "Uploads")');
client.destroy();
