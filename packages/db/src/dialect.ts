import { mysqlMatch, sqliteMatch } from './search.ts';

/**
 * What differs between MySQL/MariaDB and SQLite, in one small object, so every query is written
 * once (see queries.ts) and only these fragments are rendered per dialect.
 */
export interface Dialect {
  readonly name: 'mysql' | 'sqlite';
  /** How the UPDATE part of an upsert refers to the value the INSERT proposed for `column`. */
  inserted(column: string): string;
  /**
   * The upsert tail for a conflict on the original key's hash.
   *
   * Portability rule: MySQL evaluates `col = expr` assignments left to right and later
   * expressions see columns already assigned; SQLite evaluates every expression against the old
   * row. Queries therefore never read, in an assignment, a column assigned earlier in the list.
   */
  onConflict(assignments: ReadonlyArray<readonly [column: string, expression: string]>): string;
  /** A time (ms since the epoch) as the dialect stores it: DATETIME(3) UTC text, or integer ms. */
  toDbTime(ms: number): string | number;
  fromDbTime(value: unknown): Date;
  /** A WHERE condition: the row matches the one full-text query parameter (see search.ts). */
  readonly searchCondition: string;
  /** That parameter, for words from searchWords: every word, as a prefix. */
  searchQuery(words: readonly string[]): string;
  /**
   * Rows of the newest-first window a search reads before its full-text query, or 0 for none
   * (see `recentMatches` in queries.ts and SqlImageRepository.listPage).
   */
  readonly searchWindowRows: number;
}

export const mysqlDialect: Dialect = {
  name: 'mysql',
  // MariaDB has no `AS new` row alias, so the portable form is VALUES(col) (deprecated in MySQL
  // 8.0.20+, but still supported there, and the only spelling both servers accept).
  inserted: (column) => `VALUES(${column})`,
  onConflict: (assignments) =>
    `ON DUPLICATE KEY UPDATE ${assignments.map(([column, expression]) => `${column} = ${expression}`).join(', ')}`,
  // Passed as text, so neither the pool's nor the session's time zone can shift the value.
  toDbTime: (ms) => new Date(ms).toISOString().slice(0, 23).replace('T', ' '),
  fromDbTime: (value) => {
    // The pool uses dateStrings, so DATETIME(3) arrives as "YYYY-MM-DD HH:MM:SS.mmm" (UTC).
    const date = value instanceof Date ? value : new Date(`${String(value).replace(' ', 'T')}Z`);
    if (Number.isNaN(date.getTime())) throw new TypeError(`Unreadable DATETIME value ${String(value)}`);
    return date;
  },
  // The column list must be the FULLTEXT index's (migration 13).
  searchCondition:
    'MATCH (search_filename, search_annotation, search_tags, search_text) AGAINST (? IN BOOLEAN MODE)',
  searchQuery: mysqlMatch,
  // InnoDB's full-text search costs in proportion to the rows a word matches, even for COUNT(*)
  // (about 0.4 s for a word in half of 100,000 rows): a frequent word is answered from the newest
  // rows instead, whenever they hold a full page (bench/src/search.ts; BENCHMARKS.md).
  searchWindowRows: 1000,
};

export const sqliteDialect: Dialect = {
  name: 'sqlite',
  inserted: (column) => `excluded.${column}`,
  onConflict: (assignments) =>
    `ON CONFLICT(s3_key_original_sha256) DO UPDATE SET ${assignments
      .map(([column, expression]) => `${column} = ${expression}`)
      .join(', ')}`,
  // Integer milliseconds: exact, ordered, and cheap to compare in the (uploaded_at, id) index.
  toDbTime: (ms) => ms,
  fromDbTime: (value) => {
    const date = new Date(Number(value));
    if (Number.isNaN(date.getTime())) throw new TypeError(`Unreadable time value ${String(value)}`);
    return date;
  },
  // The FTS5 table's rowids are the images' ids (external content, migration 5).
  searchCondition: 'id IN (SELECT rowid FROM images_search WHERE images_search MATCH ?)',
  searchQuery: sqliteMatch,
  searchWindowRows: 0,
};
