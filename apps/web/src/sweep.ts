import type { AppConfig } from '@annot/config';
import type { ImageRecord, ImageRepository } from '@annot/db';
import { problems, sentence } from '@annot/image-rules';
import { thumbnailKeyFor, UPLOADS_PREFIX } from '@annot/object-keys';
import type { Storage } from '@annot/storage';
import type { FastifyBaseLogger } from 'fastify';

/** The reason a stage gets when the workers never finished it. */
export const NEVER_FINISHED = sentence(problems.neverFinished());

export interface SweepDeps {
  readonly repository: ImageRepository;
  /** The storage the app stores uploads in (in the embedded system, the store that raises events). */
  readonly storage: Storage;
  readonly log: Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'>;
}

/**
 * The sweep's settings (`config.sweep`): STALE_UPLOAD_MS (rows younger than this are never
 * touched), SWEEP_BATCH_SIZE (rows per kind and per run), SWEEP_RENOTIFY_TRIES (a stage still
 * pending is sent on again each STALE_UPLOAD_MS while the image is younger than that many more
 * STALE_UPLOAD_MS, then recorded as failed, so nothing is pending or copied for ever), and
 * SWEEP_ORPHAN_GUARD (more originals without a row than this in one page of the walk deletes none:
 * that is a database that lost rows, restored or the wrong one, not a failed cleanup).
 */
export type SweepOptions = Omit<AppConfig['sweep'], 'intervalMs'> & {
  /** The clock (tests move it forward). */
  readonly now?: () => number;
};

export interface SweepReport {
  /** Rows whose original never arrived, removed (with any thumbnail). */
  readonly removed: number;
  /** Rows whose original was stored but never recorded: size recorded, event raised again. */
  readonly repaired: number;
  /** Stored images a stage never finished, sent on to the workers again. */
  readonly renotified: number;
  /** Stages given up on after SWEEP_RENOTIFY_TRIES, or whose original is gone: recorded as failed. */
  readonly failed: number;
  /** Writes that never finished (multipart uploads, temp files), cleared. */
  readonly clearedWrites: number;
  /** Originals no row names (a put that landed after its upload was given up on), deleted. */
  readonly orphans: number;
  /** Steps or rows that failed this run (each logged; the others went on). */
  readonly errors: number;
}

/** Where a process's walk over the originals bucket (one page per run) goes on from. */
export interface OrphanCursor {
  after?: string;
}

/**
 * One pass of the reconciliation sweep: what a crash, a lost event or a failed cleanup left behind,
 * older than STALE_UPLOAD_MS, is put right. Every step is conditional or idempotent, so several web
 * processes (every instance runs it) may sweep at once: a row is removed only while still stale,
 * a second event for an image is stood down by the workers' stage lease, a multipart upload
 * aborted twice is gone once.
 */
export async function sweepOnce(
  deps: Pick<SweepDeps, 'repository' | 'storage'> & { readonly log?: SweepDeps['log'] },
  options: SweepOptions,
  cursor: OrphanCursor = {},
): Promise<SweepReport> {
  const { repository, storage } = deps;
  const now = (options.now ?? Date.now)();
  const before = new Date(now - options.staleUploadMs);
  let removed = 0;
  let repaired = 0;
  let renotified = 0;
  let failed = 0;
  let errors = 0;
  // Each step and each row on its own: one that fails (a timeout, a permission) is logged and the
  // rest of the run goes on, so one bad row never stops the sweep for good.
  const attempt = async <T>(what: string, run: () => Promise<T>, otherwise: T): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      errors++;
      deps.log?.warn({ err: error, step: what }, 'reconciliation sweep: a step failed; the others go on');
      return otherwise;
    }
  };

  for (const row of await attempt(
    'staleUploads',
    () => repository.staleUploads(before, options.batchSize),
    [],
  )) {
    await attempt(
      `stale upload ${row.originalKey}`,
      async () => {
        const stored = await storage.originals.head(row.originalKey);
        if (stored === null) {
          // The upload never finished (the process died, or its cleanup failed): nothing to show.
          if (await repository.deleteStaleUpload(row.originalKey, before)) {
            await storage.thumbnails.delete(thumbnailKeyFor(row.originalKey));
            removed++;
          }
        } else if (await repository.recordOriginalSize(row.originalKey, stored.size)) {
          // Stored, but the process died before it said so: its event may have died with it.
          await storage.originals.renotify(row.originalKey);
          repaired++;
        }
      },
      undefined,
    );
  }

  const giveUpBefore = now - options.renotifyTries * options.staleUploadMs - options.staleUploadMs;
  for (const row of await attempt(
    'stalledImages',
    () => repository.stalledImages(before, options.batchSize),
    [],
  )) {
    await attempt(
      `stalled image ${row.originalKey}`,
      async () => {
        const sent =
          row.uploadedAt.getTime() > giveUpBefore && (await storage.originals.renotify(row.originalKey));
        if (sent) {
          await repository.markRenotified(row.originalKey);
          renotified++;
        } else {
          const gone = (await storage.originals.head(row.originalKey)) === null;
          await failPending(repository, row, gone ? sentence(problems.originalMissing()) : NEVER_FINISHED);
          failed++;
        }
      },
      undefined,
    );
  }

  const clearedWrites = await attempt(
    'clearUnfinishedWrites',
    () => storage.originals.clearUnfinishedWrites(before, UPLOADS_PREFIX),
    0,
  );
  const orphans = await attempt('orphans', () => removeOrphans(deps, before, cursor, options), 0);
  return { removed, repaired, renotified, failed, clearedWrites, orphans, errors };
}

/**
 * One page of the walk over uploads/: an original older than STALE_UPLOAD_MS that no row names is
 * deleted. Its row was removed (a refused or withdrawn upload) while the object survived: a
 * failed delete, or a put given up on that S3 completed once a partition healed. An upload in
 * progress always has its row (it is written before the put), so it is never taken for one.
 */
async function removeOrphans(
  deps: Pick<SweepDeps, 'repository' | 'storage'> & { readonly log?: SweepDeps['log'] },
  before: Date,
  cursor: OrphanCursor,
  options: SweepOptions,
): Promise<number> {
  const { repository, storage } = deps;
  const page = await storage.originals.listPage({
    prefix: UPLOADS_PREFIX,
    limit: options.batchSize,
    ...(cursor.after === undefined ? {} : { after: cursor.after }),
  });
  // At the end of the bucket the walk starts again from the beginning.
  cursor.after = page.next ?? undefined;
  const old = page.objects.filter((object) => object.lastModified < before).map((object) => object.key);
  const named = await repository.existingOriginalKeys(old);
  const orphans = old.filter((key) => !named.has(key));
  if (orphans.length > options.orphanGuard) {
    deps.log?.error(
      { orphans: orphans.length, of: old.length, first: orphans.slice(0, 5) },
      'reconciliation sweep: many originals have no row; not deleting them (was the database restored, or is it the wrong one?)',
    );
    return 0;
  }
  let removed = 0;
  for (const key of orphans) {
    await storage.originals.delete(key);
    await storage.thumbnails.delete(thumbnailKeyFor(key));
    removed++;
  }
  return removed;
}

async function failPending(repository: ImageRepository, row: ImageRecord, reason: string): Promise<void> {
  if (row.thumbnailStatus === 'pending') {
    await repository.markFailed({ originalKey: row.originalKey, stage: 'thumbnail', reason });
  }
  if (row.annotationStatus === 'pending') {
    await repository.markFailed({ originalKey: row.originalKey, stage: 'annotation', reason });
  }
}

/**
 * Runs `sweepOnce` every SWEEP_INTERVAL_MS (plus up to 20% at random, so instances spread out; the
 * first run comes after a random part of one interval), never two at once in a process. A failed
 * run (the database or storage is down) is logged and tried again at the next interval.
 */
export class ReconciliationSweep {
  readonly #deps: SweepDeps;
  readonly #options: SweepOptions & { readonly intervalMs: number };
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  readonly #cursor: OrphanCursor = {};

  constructor(deps: SweepDeps, options: SweepOptions & { readonly intervalMs: number }) {
    this.#deps = deps;
    this.#options = options;
  }

  start(): void {
    if (this.#options.intervalMs <= 0) return;
    this.#schedule(Math.random() * this.#options.intervalMs);
  }

  /** Stops the timer and waits for a run in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  /** One run now (the timer's, or a test's). */
  run(): Promise<void> {
    this.#running ??= this.#runOnce().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #runOnce(): Promise<void> {
    const { log } = this.#deps;
    try {
      const report = await sweepOnce(this.#deps, this.#options, this.#cursor);
      if (Object.values(report).some((n) => n > 0))
        log.info({ sweep: report }, 'reconciliation sweep repaired');
    } catch (error) {
      log.warn({ err: error }, 'reconciliation sweep failed; it runs again at the next interval');
    }
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(async () => {
      await this.run();
      this.#schedule(this.#options.intervalMs * (1 + 0.2 * Math.random()));
    }, delayMs);
    // The sweep never keeps a process alive on its own.
    this.#timer.unref();
  }
}
