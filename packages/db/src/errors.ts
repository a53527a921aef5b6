/** A database operation failed; `cause` holds the driver's error. */
export class DatabaseError extends Error {
  override readonly name = 'DatabaseError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A migration failed, or the migration lock could not be taken in time. */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A value passed to the repository can never be stored (for example an over-long S3 key). */
export class InvalidImageInputError extends Error {
  override readonly name = 'InvalidImageInputError';
}

/** The database configuration cannot be used as given. */
export class DatabaseConfigError extends Error {
  override readonly name = 'DatabaseConfigError';
}

/** The statement broke a UNIQUE index (MySQL ER_DUP_ENTRY, SQLite SQLITE_CONSTRAINT_UNIQUE). */
export function isUniqueViolation(error: unknown): boolean {
  const { errno, errcode } = (error ?? {}) as { errno?: unknown; errcode?: unknown };
  return errno === 1062 || errcode === 2067;
}

/**
 * The statement referred to a row that is not there (MySQL ER_NO_REFERENCED_ROW_2, SQLite
 * SQLITE_CONSTRAINT_FOREIGNKEY): image_tags of an image deleted meanwhile.
 */
export function isForeignKeyViolation(error: unknown): boolean {
  const { errno, errcode } = (error ?? {}) as { errno?: unknown; errcode?: unknown };
  return errno === 1452 || errcode === 787;
}
