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
}

export interface NewImage {
  readonly filename: string;
  readonly originalKey: string;
  readonly contentType: string;
  readonly byteSize: number | null;
  readonly width: number | null;
  readonly height: number | null;
}

export interface ThumbnailResult {
  readonly originalKey: string;
  readonly thumbnailKey: string;
  /** The original's properties; recorded only where the row has none yet. */
  readonly contentType?: string | null;
  readonly byteSize?: number | null;
  readonly width?: number | null;
  readonly height?: number | null;
}

export interface AnnotationResult {
  readonly originalKey: string;
  readonly annotation: string;
  readonly annotator: string;
  readonly model: string;
}

export interface StageFailure {
  readonly originalKey: string;
  readonly stage: Stage;
  /** A reason a person can read; stored truncated to 1000 characters. */
  readonly reason: string;
}

export interface ImageStatus {
  readonly id: number;
  readonly annotationStatus: Status;
  readonly thumbnailStatus: Status;
  readonly annotationError: string | null;
  readonly thumbnailError: string | null;
  readonly thumbnailKey: string | null;
  readonly annotation: string | null;
  readonly updatedAt: Date;
}

export interface Page {
  readonly images: ImageRecord[];
  /** Opaque; pass back as `cursor` for the next (older) page. Null on the last page. */
  readonly nextCursor: string | null;
}

/**
 * The repository over the `images` table. Every write is an UPSERT keyed by the original's key,
 * so the web insert and both workers may arrive in any order, any number of times, and still
 * leave one complete row.
 */
export interface ImageRepository {
  readonly dialect: 'mysql' | 'sqlite';
  /** Creates the pending row (or fills in a row a worker created first) and returns it. */
  createPending(image: NewImage): Promise<ImageRecord>;
  /**
   * Sets the stored original's size on its row: the web tier's second write, since the size is
   * known only once the body has been streamed, after the pending row was written. Only that
   * column (and updated_at) changes; a row that no longer exists is not created again.
   */
  recordOriginalSize(originalKey: string, byteSize: number): Promise<void>;
  /** Removes a row the web tier created for an upload that was then refused or aborted. */
  deleteByOriginalKey(originalKey: string): Promise<void>;
  /** The thumbnailer's UPSERT: thumbnail key, status completed; never touches annotation columns. */
  recordThumbnail(result: ThumbnailResult): Promise<void>;
  /** The annotator's UPSERT: annotation, annotator, model, status completed; never touches thumbnail columns. */
  recordAnnotation(result: AnnotationResult): Promise<void>;
  /** Marks one stage failed with a reason. A stage already completed stays completed. */
  markFailed(failure: StageFailure): Promise<void>;
  getById(id: number): Promise<ImageRecord | null>;
  getByOriginalKey(originalKey: string): Promise<ImageRecord | null>;
  /**
   * Newest first, keyset-paginated. Throws InvalidCursorError for a malformed cursor. With
   * `storedOnly`, rows whose original is still being uploaded (no byte size yet) are left out:
   * what the gallery and the API list.
   */
  listPage(options: { limit: number; cursor?: string | null; storedOnly?: boolean }): Promise<Page>;
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
