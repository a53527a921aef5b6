export type Status = 'pending' | 'completed' | 'failed';
export type Stage = 'thumbnail' | 'annotation';

/** One row of `images`, as the apps see it. */
export interface ImageRecord {
  readonly id: number;
  /** The user's original filename: display data only, never used in paths. */
  readonly filename: string;
  readonly originalKey: string;
  readonly thumbnailKey: string | null;
  readonly annotation: string | null;
  readonly annotationStatus: Status;
  readonly thumbnailStatus: Status;
  readonly annotationError: string | null;
  readonly thumbnailError: string | null;
  /** Which annotator wrote the annotation: "gemini" or "local". */
  readonly annotator: string | null;
  /** The model, for example "gemini-3.5-flash", or the local annotator's version. */
  readonly annotationModel: string | null;
  readonly contentType: string | null;
  readonly byteSize: number | null;
  readonly width: number | null;
  readonly height: number | null;
  readonly uploadedAt: Date;
  readonly updatedAt: Date;
  /** The opaque id of the browser that uploaded it (apps/web's cookie); null when unknown. */
  readonly uploader: string | null;
  /** The annotator's tags, most confident first (none before a structured annotation). */
  readonly tags: readonly ImageTag[];
  /** Text the annotator read in the image (OCR); null when none was found. */
  readonly textInImage: string | null;
  /** The annotator's content-safety flag; null when it gave none. */
  readonly safety: Safety | null;
}

export type Safety = 'safe' | 'sensitive';

/** One tag of an annotation: a lowercase label (at most 64 characters), a confidence 0..1, who said it. */
export interface ImageTag {
  readonly label: string;
  readonly confidence: number;
  /** Which model or service found it, for example "gemini" or "centernet" (at most 64 characters). */
  readonly source: string;
}

export interface NewImage {
  readonly filename: string;
  readonly originalKey: string;
  readonly contentType: string;
  readonly byteSize: number | null;
  readonly width: number | null;
  readonly height: number | null;
  /** The uploading browser's opaque id: short ASCII (letters, digits, "-", "_"), at most 64. */
  readonly uploader?: string | null;
}

/** What `retryStages` did. */
export type RetryOutcome =
  | { readonly outcome: 'retried'; readonly record: ImageRecord }
  /** A requested stage is pending (running, or waiting for its event): nothing was changed. */
  | { readonly outcome: 'busy'; readonly stage: Stage }
  /** No such image, or its original is still arriving. */
  | { readonly outcome: 'missing' };

export interface ThumbnailResult {
  readonly originalKey: string;
  readonly thumbnailKey: string;
  /** The original's properties; recorded only where the row has none yet. */
  readonly contentType?: string | null;
  readonly byteSize?: number | null;
  readonly width?: number | null;
  readonly height?: number | null;
}

/** A machine-made tag: a lowercase label (at most 64 characters), a confidence 0..1, and who made it. */
/** A tag as an annotator hands it over: the same shape as a stored one. */
export type AnnotationTag = ImageTag;

export interface AnnotationResult {
  readonly originalKey: string;
  /** The caption: one or two sentences. */
  readonly annotation: string;
  readonly annotator: string;
  readonly model: string;
  /**
   * Tags; labels are stored lowercased, trimmed and cut to 64 characters, a label given twice is
   * kept once (its most confident), and at most MAX_TAGS are kept (the most confident). A
   * confidence outside 0..1 is refused. They replace the image's earlier tags.
   */
  readonly tags?: readonly AnnotationTag[];
  /** Text found in the image (OCR); null, undefined or blank: none. */
  readonly textInImage?: string | null;
  /** The content-safety flag; null when the annotator cannot tell. */
  readonly safety?: 'safe' | 'sensitive' | null;
}

export interface StageFailure {
  readonly originalKey: string;
  readonly stage: Stage;
  /** A reason a person can read; stored truncated to 1000 characters. */
  readonly reason: string;
}

/** What a worker asks for before working on one stage of an image. */
export interface ClaimRequest {
  readonly originalKey: string;
  readonly stage: Stage;
  /** How long the claim holds if never released (a worker that died), in ms. */
  readonly leaseMs: number;
}

/** A worker's hold on one stage of one image, from claimStage until released or run out. */
export interface StageClaim {
  readonly originalKey: string;
  readonly stage: Stage;
  /** This claim's own id: only its release frees the stage. */
  readonly token: string;
  /** When the lease runs out if it is never released. */
  readonly expiresAt: Date;
}

export interface ImageStatus {
  readonly id: number;
  readonly annotationStatus: Status;
  readonly thumbnailStatus: Status;
  readonly annotationError: string | null;
  readonly thumbnailError: string | null;
  readonly thumbnailKey: string | null;
  readonly annotation: string | null;
  readonly tags: readonly ImageTag[];
  readonly textInImage: string | null;
  readonly safety: Safety | null;
  readonly updatedAt: Date;
}

export interface ListOptions {
  readonly limit: number;
  /** From a previous page's nextCursor; the same filters must be passed with it. */
  readonly cursor?: string | null;
  /**
   * Leaves out rows whose original is still being uploaded (no byte size yet): what the gallery
   * and the API list.
   */
  readonly storedOnly?: boolean;
  /**
   * The user's raw `q`: rows matching every one of its words (searchWords in search.ts), as
   * prefixes, in the filename, the annotation, the tags' labels or the text in the image. Null, undefined or blank: no search.
   */
  readonly search?: string | null;
  /** Only rows of this overall status: failed if either stage failed, pending if either is pending. */
  readonly status?: Status | null;
  /**
   * Only rows with a tag of exactly this label (compared lowercased and trimmed, as labels are
   * stored). Null, undefined or blank: no tag filter. Combines with the others (AND).
   */
  readonly tag?: string | null;
  /**
   * Which copy to read: 'replica' (the default) reads the read replica when the repository has
   * one (DATABASE_READ_URL, DB_READ_HOST), which may lag the primary by a moment; 'primary' when
   * the reader must see the latest writes (a page an upload has just invalidated).
   */
  readonly from?: 'replica' | 'primary';
}

export interface Page {
  readonly images: ImageRecord[];
  /** Opaque; pass back as `cursor` for the next (older) page. Null on the last page. */
  readonly nextCursor: string | null;
}

/**
 * The repository over the `images` table. Rows are keyed by the original's key. Only the web tier
 * creates them (createPending, before it stores the original); the workers only update the row
 * that exists, any number of times, and write nothing once the web tier has withdrawn the upload.
 */
export interface ImageRepository {
  readonly dialect: 'mysql' | 'sqlite';
  /** Creates the pending row (or fills in the metadata of the existing one) and returns it. */
  createPending(image: NewImage): Promise<ImageRecord>;
  /**
   * Sets the stored original's size on its row: the web tier's second write, since the size is
   * known only once the body has been streamed, after the pending row was written. Only that
   * column (and updated_at) changes; a row that no longer exists is not created again, and
   * false is resolved (the sweep removed it: the upload outlived STALE_UPLOAD_MS).
   */
  recordOriginalSize(originalKey: string, byteSize: number): Promise<boolean>;
  /**
   * Records the SHA-256 of an upload's bytes on its (pending) row, just before the original is
   * committed. Resolves null when the row now holds the hash (claimed; claiming again the same
   * hash for the same row is a no-op that resolves null too), or the image that already holds
   * those bytes: then nothing was written. The content hash is unique, so of several uploads of
   * the same bytes at once exactly one claims it. The existing image may itself still be arriving
   * (byteSize null): the caller decides whether to wait for it. Throws when the upload's own row
   * is gone (withdrawn or swept).
   */
  claimContent(originalKey: string, sha256: Uint8Array): Promise<ImageRecord | null>;
  /**
   * Forgets the content hash of the image with this id, so that its bytes count as new again: the
   * first step of a delete, so that an upload of the same bytes while the image's objects are
   * going is stored as a new image, never answered with the one being deleted.
   */
  releaseContent(id: number): Promise<void>;
  /** Withdraws an upload's row (refused, aborted or deleted); a worker's later write then finds none. */
  deleteByOriginalKey(originalKey: string): Promise<void>;
  /**
   * The thumbnailer's result: thumbnail key, status completed; never touches annotation columns.
   * Resolves false, writing nothing, when the row is gone (the upload was withdrawn).
   */
  recordThumbnail(result: ThumbnailResult): Promise<boolean>;
  /**
   * The annotator's result: annotation, tags, text in the image, safety, annotator, model, status
   * completed; never touches thumbnail columns. The tags, text and safety replace the earlier
   * ones (absent: none). Resolves false, writing nothing, when the row is gone.
   */
  recordAnnotation(result: AnnotationResult): Promise<boolean>;
  /**
   * Marks one stage failed with a reason. A stage already completed stays completed. Resolves
   * false, writing nothing, when the row is gone.
   */
  markFailed(failure: StageFailure): Promise<boolean>;
  /**
   * Takes the lease on one stage of an image, atomically: resolves the claim when the stage was
   * free or its lease had run out, and null when another claim holds it or the row is gone.
   * Claiming changes no column anyone reads (not even updated_at).
   */
  claimStage(request: ClaimRequest): Promise<StageClaim | null>;
  /** Frees the stage, if the lease is still this claim's (a later claim is never freed by it). */
  releaseStage(claim: StageClaim): Promise<void>;
  /**
   * The reconciliation sweep's view: rows created before `before` whose original is not known to
   * be stored (byte_size NULL), oldest first, at most `limit`.
   */
  staleUploads(before: Date, limit: number): Promise<ImageRecord[]>;
  /** Removes such a row if it is still stale (its upload did not finish meanwhile); whether it did. */
  deleteStaleUpload(originalKey: string, before: Date): Promise<boolean>;
  /**
   * Rows whose original is stored but a stage has stayed pending since before `before` (its event
   * never reached the worker), least recently touched first, at most `limit`.
   */
  stalledImages(before: Date, limit: number): Promise<ImageRecord[]>;
  /** Which of these original keys have a row (at most MAX_PAGE_SIZE keys). */
  existingOriginalKeys(originalKeys: readonly string[]): Promise<Set<string>>;
  /** Marks a stalled row as sent on again (updated_at = now), so the next try waits its turn. */
  markRenotified(originalKey: string): Promise<void>;
  getById(id: number): Promise<ImageRecord | null>;
  /**
   * Deletes the row with this id and resolves it as it was (null when there was none). The
   * workers only update existing rows, so none brings it back; its objects are the caller's.
   */
  deleteById(id: number): Promise<ImageRecord | null>;
  /**
   * Sends stages of a stored image back to pending (error and lease cleared, updated_at now), in
   * one conditional UPDATE: 'busy' (nothing changed) when a requested stage is pending, 'missing'
   * when there is no row or its original is still arriving (no byte size yet).
   */
  retryStages(id: number, stages: readonly Stage[]): Promise<RetryOutcome>;
  /**
   * Undoes retryStages for one stage whose request could not be sent to its worker: the stage
   * gets back the status and reason it had (`before`, the row as it was before the retry), but
   * only while it is still pending and unclaimed (no worker has it); resolves whether it did.
   */
  undoRetry(before: ImageRecord, stage: Stage): Promise<boolean>;
  getByOriginalKey(originalKey: string): Promise<ImageRecord | null>;
  /**
   * Newest first, keyset-paginated, optionally filtered (see ListOptions). Throws
   * InvalidCursorError for a malformed cursor and InvalidSearchError for a `search` the search
   * cannot use (see search.ts).
   */
  listPage(options: ListOptions): Promise<Page>;
  /** Statuses of the given ids (missing ids are simply absent). */
  statuses(ids: readonly number[]): Promise<ImageStatus[]>;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
  constructor(cursor: string) {
    super(`Invalid pagination cursor ${JSON.stringify(cursor.slice(0, 100))}`);
  }
}
