// The production configuration's world: s3rver with both buckets, fresh MariaDB databases, and
// real image objects behind the rows a bench shows, so every presigned URL points at a real object.
import { readFile } from 'node:fs/promises';
import { type AppConfig, loadConfig } from '@annot/config';
import { type ImageRecord, migrate } from '@annot/db';
import { createStorage, type Storage } from '@annot/storage';
import { createTestDatabase, fixturePath, startS3Server, type TestS3Server } from '@annot/testing';
import sharp from 'sharp';
import type { Cleanup } from '../util/cleanup.ts';

export const BUCKETS = { originals: 'bench-originals', thumbnails: 'bench-thumbnails' } as const;

/** Small real originals, and the thumbnails the thumbnailer would make of them (128 x 128 JPEG). */
const SOURCES = ['Landscape_1.jpg', 'Landscape_6.jpg', 'Portrait_8.jpg', 'flowers.jpeg'] as const;

export interface Database {
  readonly url: string;
  /** The production server's environment: this database (MySQL) and the S3 adapter. */
  readonly serverEnv: Record<string, string>;
  /** The platform config that environment gives (read in-process too). */
  readonly config: AppConfig;
}

export interface Dataset {
  readonly s3: TestS3Server;
  /** Storage as the server configures it, in this process: for objects and the presign micro-bench. */
  readonly storage: Storage;
  /** A fresh, migrated database (dropped at cleanup). */
  createDatabase(): Promise<Database>;
  /** Puts the original and (when the row has one) the thumbnail of each record. */
  putObjects(records: readonly ImageRecord[]): Promise<number>;
}

export async function createDataset(cleanup: Cleanup, name: string): Promise<Dataset> {
  const s3 = await startS3Server([BUCKETS.originals, BUCKETS.thumbnails]);
  cleanup.add('stop s3rver', () => s3.stop());
  const s3Env = s3.env(BUCKETS);
  const s3Config = loadConfig(s3Env);
  const storage = createStorage(s3Config.storage, s3Config.presign, {
    s3ClientConfig: { credentials: s3.credentials },
  });

  const images = await Promise.all(
    SOURCES.map(async (source) => {
      const original = await readFile(fixturePath(source));
      const thumbnail = await sharp(original)
        .resize(128, 128, { fit: 'cover' })
        .jpeg({ quality: 80 })
        .toBuffer();
      return { original, thumbnail };
    }),
  );

  return {
    s3,
    storage,
    async createDatabase() {
      const database = await createTestDatabase(`bench_${name}`);
      cleanup.add(`drop database ${database.name}`, () => database.drop());
      const serverEnv = { DATABASE_URL: database.url, ...s3Env };
      const config = loadConfig(serverEnv);
      await migrate({ database: config.database });
      return { url: database.url, serverEnv, config };
    },
    async putObjects(records) {
      let objects = 0;
      // A few at a time: s3rver writes each object to disk.
      for (let start = 0; start < records.length; start += 8) {
        await Promise.all(
          records.slice(start, start + 8).map(async (record) => {
            const image = images[record.id % images.length]!;
            await storage.originals.put(record.originalKey, image.original, { contentType: 'image/jpeg' });
            objects++;
            if (record.thumbnailKey) {
              await storage.thumbnails.put(record.thumbnailKey, image.thumbnail, {
                contentType: 'image/jpeg',
              });
              objects++;
            }
          }),
        );
      }
      return objects;
    },
  };
}
