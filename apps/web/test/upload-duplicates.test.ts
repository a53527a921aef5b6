import { readFileSync } from 'node:fs';
import type { ImageRepository } from '@annot/db';
import type { Storage } from '@annot/storage';
import {
  createTestDatabase,
  distinctCopy,
  fixturePath,
  mariaDbAvailable,
  startS3Server,
} from '@annot/testing';
import { ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { expect, it } from 'vitest';
import {
  allRows,
  buildTestApp,
  describeEachBackend,
  postUpload,
  storedFiles,
  type TestApp,
  withMethod,
} from './helper.ts';

const jpeg = readFileSync(fixturePath('Landscape_1.jpg'));
let copies = 0;
/** Bytes no other test has uploaded. */
const fresh = () => distinctCopy(jpeg, `duplicates ${copies++}`);
// Over one 5 MiB part, so S3 takes it as a multipart upload (bytes after a JPEG's end are ignored).
const large = () => Buffer.concat([fresh(), Buffer.alloc(6 * 1024 * 1024)]);

interface Hooks {
  readonly wrapRepository?: (repository: ImageRepository) => ImageRepository;
  readonly wrapStorage?: (storage: Storage) => Storage;
}

interface Started {
  readonly t: TestApp;
  /** Every object in the originals bucket. */
  originals(): Promise<string[]>;
  /** Multipart uploads neither completed nor aborted (S3 only; none for the directory). */
  unfinished(): Promise<number>;
  stop(): Promise<void>;
}

interface Backend {
  readonly name: string;
  readonly enabled: boolean;
  start(env?: Record<string, string>, hooks?: Hooks): Promise<Started>;
}

const BACKENDS: Backend[] = [
  {
    name: 'SQLite + directory storage',
    enabled: true,
    async start(env = {}, hooks = {}) {
      const t = await buildTestApp(env, {}, hooks);
      return {
        t,
        originals: () => storedFiles(t, 'originals'),
        unfinished: async () => 0,
        stop: () => t.close(),
      };
    },
  },
  {
    name: 'MariaDB + S3 (s3rver)',
    enabled: await mariaDbAvailable(),
    async start(env = {}, hooks = {}) {
      const database = await createTestDatabase('web_dupes');
      const s3 = await startS3Server(['dupes-originals', 'dupes-thumbnails']);
      const t = await buildTestApp(
        {
          ...s3.env({ originals: 'dupes-originals', thumbnails: 'dupes-thumbnails' }),
          DATABASE_URL: database.url,
          ...env,
        },
        { s3ClientConfig: { credentials: s3.credentials } },
        hooks,
      );
      const client = new S3Client({
        endpoint: s3.endpoint,
        region: s3.region,
        forcePathStyle: true,
        credentials: s3.credentials,
      });
      return {
        t,
        async originals() {
          const listed = await client.send(new ListObjectsV2Command({ Bucket: 'dupes-originals' }));
          return (listed.Contents ?? []).map((o) => o.Key!).sort();
        },
        async unfinished() {
          const listed = await client.send(new ListMultipartUploadsCommand({ Bucket: 'dupes-originals' }));
          return listed.Uploads?.length ?? 0;
        },
        async stop() {
          client.destroy();
          await t.close();
          await s3.stop();
          await database.drop();
        },
      };
    },
  },
];

/** Runs `test` on a freshly started backend, and stops it. */
async function using(backend: Backend, test: (s: Started) => Promise<void>, env = {}, hooks: Hooks = {}) {
  const started = await backend.start(env, hooks);
  try {
    await test(started);
  } finally {
    await started.stop();
  }
}

/**
 * A repository whose first `parties` content claims all wait until each has arrived: the uploads
 * have all hashed their bytes before any claims them, as when requests arrive together.
 */
function claimsReleasedTogether(parties: number) {
  let arrived = 0;
  let release!: () => void;
  const together = new Promise<void>((resolve) => {
    release = resolve;
  });
  return (repository: ImageRepository) =>
    withMethod(repository, 'claimContent', async (key, sha256) => {
      if (arrived < parties) {
        arrived++;
        if (arrived === parties) release();
        await together;
      }
      return repository.claimContent(key, sha256);
    });
}

/**
 * As claimsReleasedTogether, and no upload records its original as stored until every party's
 * claim has been answered: the upload that lost the claim then always finds the bytes' holder
 * still being stored, however fast the winner's put is.
 */
function claimsAnsweredBeforeAnyIsStored(parties: number) {
  let answered = 0;
  let allAnswered!: () => void;
  const everyClaimAnswered = new Promise<void>((resolve) => {
    allAnswered = resolve;
  });
  return (repository: ImageRepository) => {
    const together = claimsReleasedTogether(parties)(repository);
    const counted = withMethod(together, 'claimContent', async (key, sha256) => {
      try {
        return await together.claimContent(key, sha256);
      } finally {
        if (++answered === parties) allAnswered();
      }
    });
    return withMethod(counted, 'recordOriginalSize', async (key, byteSize) => {
      await everyClaimAnswered;
      return repository.recordOriginalSize(key, byteSize);
    });
  };
}

describeEachBackend(BACKENDS)('duplicate uploads on $name', (backend) => {
  it('the same bytes again: 200, the existing image with duplicate: true, no second row or object', () =>
    using(backend, async ({ t, originals }) => {
      const bytes = fresh();
      const first = await postUpload(t.app, [{ filename: 'first.jpg', content: bytes }]);
      expect(first.statusCode).toBe(201);
      const [image] = first.json().images;
      expect(image).toMatchObject({ filename: 'first.jpg', duplicate: false });

      const again = await postUpload(t.app, [{ filename: 'again.jpg', content: bytes }]);

      expect(again.statusCode).toBe(200);
      expect(again.json()).toEqual({
        images: [
          {
            id: image.id,
            filename: 'first.jpg',
            annotationStatus: 'pending',
            thumbnailStatus: 'pending',
            duplicate: true,
          },
        ],
        refused: [],
      });
      const rows = await allRows(t);
      expect(rows.map((r) => r.id)).toEqual([image.id]);
      expect(await originals()).toEqual([rows[0]!.originalKey]);
    }));

  it('a request mixing new files, a duplicate and a refusal: 201, each file with its own outcome', () =>
    using(backend, async ({ t, originals }) => {
      const known = fresh();
      const stored = (await postUpload(t.app, [{ filename: 'known.jpg', content: known }])).json().images[0];
      const twin = fresh();

      const response = await postUpload(t.app, [
        { filename: 'new.jpg', content: twin },
        { filename: 'known-again.jpg', content: known },
        { filename: 'notes.txt', content: 'not an image' },
        // The same bytes twice in one request: the second is the first's image.
        { filename: 'new-twice.jpg', content: twin },
      ]);

      expect(response.statusCode).toBe(201);
      const { images, refused } = response.json();
      expect(images.map((i: { filename: string; duplicate: boolean }) => [i.filename, i.duplicate])).toEqual([
        ['new.jpg', false],
        ['known.jpg', true],
        ['new.jpg', true],
      ]);
      expect(images[1].id).toBe(stored.id);
      expect(images[2].id).toBe(images[0].id);
      expect(refused.map((r: { filename: string }) => r.filename)).toEqual(['notes.txt']);
      expect((await allRows(t)).length).toBe(2);
      expect(await originals()).toHaveLength(2);
    }));

  it('a large (multipart) duplicate stores nothing and leaves no unfinished upload', () =>
    using(backend, async ({ t, originals, unfinished }) => {
      const bytes = large();
      const first = await postUpload(t.app, [{ filename: 'big.jpg', content: bytes }]);
      expect(first.statusCode).toBe(201);

      const again = await postUpload(t.app, [{ filename: 'big-again.jpg', content: bytes }]);

      expect(again.statusCode).toBe(200);
      expect(again.json().images[0]).toMatchObject({ id: first.json().images[0].id, duplicate: true });
      expect(await originals()).toHaveLength(1);
      expect(await unfinished()).toBe(0);
      expect((await allRows(t)).length).toBe(1);
    }));

  it('two uploads of the same bytes at once end as one image, whichever wins', () =>
    using(
      backend,
      async ({ t, originals }) => {
        const bytes = fresh();
        const responses = await Promise.all([
          postUpload(t.app, [{ filename: 'left.jpg', content: bytes }]),
          postUpload(t.app, [{ filename: 'right.jpg', content: bytes }]),
        ]);

        expect(responses.map((r) => r.statusCode).sort()).toEqual([200, 201]);
        const images = responses.map((r) => r.json().images[0]);
        expect(images[0].id).toBe(images[1].id);
        expect(images.map((i) => i.duplicate).sort()).toEqual([false, true]);
        const rows = await allRows(t);
        expect(rows.map((r) => r.id)).toEqual([images[0].id]);
        // The loser waited for the winner's upload to finish: the image it names is stored.
        expect(rows[0]!.byteSize).toBe(bytes.length);
        expect(await originals()).toEqual([rows[0]!.originalKey]);
      },
      {},
      { wrapRepository: claimsReleasedTogether(2) },
    ));

  it('when the winner’s upload fails after its claim, the waiting upload is stored as the image instead', () => {
    let puts = 0;
    let loserWaiting!: () => void;
    const waiting = new Promise<void>((resolve) => {
      loserWaiting = resolve;
    });
    let claims = 0;
    const claimWaiters: (() => void)[] = [];
    return using(
      backend,
      async ({ t, originals }) => {
        const bytes = fresh();
        const [winner, loser] = await Promise.all([
          postUpload(t.app, [{ filename: 'fails.jpg', content: bytes }]),
          // Starts once the first upload has claimed its bytes.
          waitForClaims(1).then(() => postUpload(t.app, [{ filename: 'survives.jpg', content: bytes }])),
        ]);

        expect(winner.statusCode).toBe(500);
        expect(loser.statusCode).toBe(201);
        const [image] = loser.json().images;
        expect(image).toMatchObject({ filename: 'survives.jpg', duplicate: false });
        const rows = await allRows(t);
        expect(rows.map((r) => r.id)).toEqual([image.id]);
        expect(await originals()).toEqual([rows[0]!.originalKey]);
      },
      {},
      {
        wrapRepository: (repository) =>
          withMethod(repository, 'claimContent', async (key, sha256) => {
            const holder = await repository.claimContent(key, sha256);
            claims++;
            for (const check of claimWaiters) check();
            // The second upload found the first one's claim still being stored: it now waits.
            if (holder !== null && holder.byteSize === null) loserWaiting();
            return holder;
          }),
        wrapStorage: (storage) => ({
          ...storage,
          originals: withMethod(storage.originals, 'put', async (key, body, options) => {
            if (puts++ > 0) return storage.originals.put(key, body, options);
            // The first put reads its whole body (the claim runs at its end), then fails once the
            // other upload is waiting for it.
            for await (const _ of body as AsyncIterable<Buffer>) {
              // read it all
            }
            await waiting;
            throw new Error('the originals bucket failed');
          }),
        }),
      },
    );

    function waitForClaims(count: number): Promise<void> {
      return new Promise((resolve) => {
        const check = () => {
          if (claims >= count) resolve();
        };
        claimWaiters.push(check);
        check();
      });
    }
  });

  it('still unfinished after UPLOAD_DUPLICATE_WAIT_MS, the later upload is refused with 409 and stores nothing', () =>
    using(
      backend,
      async ({ t, originals }) => {
        const bytes = fresh();
        const responses = await Promise.all([
          postUpload(t.app, [{ filename: 'one.jpg', content: bytes }]),
          postUpload(t.app, [{ filename: 'two.jpg', content: bytes }]),
        ]);

        expect(responses.map((r) => r.statusCode).sort()).toEqual([201, 409]);
        const refused = responses.find((r) => r.statusCode === 409)!.json();
        expect(refused).toMatchObject({
          error: 'duplicate_in_progress',
          message: expect.stringMatching(
            /^"(one|two)\.jpg" is the same file as one another upload is storing right now; send it again in a moment$/,
          ),
        });
        const rows = await allRows(t);
        expect(rows).toHaveLength(1);
        expect(await originals()).toEqual([rows[0]!.originalKey]);
      },
      { UPLOAD_DUPLICATE_WAIT_MS: '0' },
      { wrapRepository: claimsAnsweredBeforeAnyIsStored(2) },
    ));

  it('the bytes of a deleted image can be uploaded again, as a new image', () =>
    using(backend, async ({ t, originals }) => {
      const bytes = fresh();
      const first = (await postUpload(t.app, [{ filename: 'gone.jpg', content: bytes }])).json().images[0];
      const row = (await t.repository.getById(first.id))!;
      await t.repository.deleteByOriginalKey(row.originalKey);
      await t.storage.originals.delete(row.originalKey);

      const again = await postUpload(t.app, [{ filename: 'back.jpg', content: bytes }]);

      expect(again.statusCode).toBe(201);
      const [image] = again.json().images;
      expect(image).toMatchObject({ filename: 'back.jpg', duplicate: false });
      expect(image.id).not.toBe(first.id);
      expect(await originals()).toEqual([(await t.repository.getById(image.id))!.originalKey]);
    }));

  it('a browser form with a duplicate gets a page saying so, with a link to the image', () =>
    using(backend, async ({ t }) => {
      const bytes = fresh();
      const first = (await postUpload(t.app, [{ filename: 'kite.jpg', content: bytes }])).json().images[0];

      const response = await postUpload(t.app, [{ filename: 'kite copy.jpg', content: bytes }], 'text/html');

      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/html/);
      expect(response.body).toContain('kite copy.jpg');
      expect(response.body).toContain('Already in the library as “kite.jpg”: not stored again');
      expect(response.body).toContain(`<a href="/images/${first.id}">View it</a>`);
    }));
});
