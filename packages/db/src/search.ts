/**
 * The one definition of what a search word is, for both dialects.
 *
 * MySQL/MariaDB (InnoDB FULLTEXT) and SQLite (FTS5) tokenise text differently (InnoDB keeps `_`
 * inside words and splits on `'`, FTS5's unicode61 does the opposite; InnoDB drops words shorter
 * than innodb_ft_min_token_size = 3 and its 36 default stopwords, FTS5 indexes everything). So the
 * engines never tokenise raw text: the repository stores, next to each searchable field, its
 * *search text* (`searchText`): the field's words as defined here, joined by single spaces. Both
 * engines then split the same words on the same spaces, and a query (`searchWords`) is cut into
 * words by the same rules, so both give the same rows for the same `q`.
 *
 * The rules:
 * - a word is a run of letters and digits (Unicode), so `IMG_2041.jpg` is `img`, `2041`, `jpg`;
 * - case and accents do not matter (`Café` is `cafe`; compatibility forms are folded, NFKD);
 * - words shorter than 3 characters (InnoDB's minimum) and longer than 84 (its maximum) are left
 *   out, and so are InnoDB's default stopwords (`the`, `with`, ...), from both text and query;
 * - every query word matches the words that start with it (`bicycl` finds `bicycles`);
 * - a row matches when it matches every query word (AND), in any of its searchable fields.
 *
 * A `q` longer than MAX_SEARCH_LENGTH characters, or with more than MAX_SEARCH_WORDS words, or
 * with no word left by these rules, is refused with InvalidSearchError (the API's 400).
 */

/** Longest `q` accepted, in characters. */
export const MAX_SEARCH_LENGTH = 200;
/** Most words one query may hold (each is one more term for the full-text engine to intersect). */
export const MAX_SEARCH_WORDS = 10;
/** InnoDB's innodb_ft_min_token_size default (also on RDS and MariaDB). */
export const MIN_WORD_LENGTH = 3;
/** InnoDB's innodb_ft_max_token_size default. */
export const MAX_WORD_LENGTH = 84;

/** InnoDB's default stopword list (INFORMATION_SCHEMA.INNODB_FT_DEFAULT_STOPWORD), MySQL and MariaDB. */
export const STOPWORDS: ReadonlySet<string> = new Set([
  'a',
  'about',
  'an',
  'are',
  'as',
  'at',
  'be',
  'by',
  'com',
  'de',
  'en',
  'for',
  'from',
  'how',
  'i',
  'in',
  'is',
  'it',
  'la',
  'of',
  'on',
  'or',
  'that',
  'the',
  'this',
  'to',
  'was',
  'what',
  'when',
  'where',
  'who',
  'will',
  'with',
  'und',
  'www',
]);

/** A `q` the search cannot use; the message is for the user, as it is. */
export class InvalidSearchError extends Error {
  override readonly name = 'InvalidSearchError';
}

/** Every word of `text` by the rules above, in order, repeats kept. */
function words(text: string): string[] {
  const folded = text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase();
  return (folded.match(/[\p{L}\p{N}]+/gu) ?? []).filter(
    (word) => word.length >= MIN_WORD_LENGTH && word.length <= MAX_WORD_LENGTH && !STOPWORDS.has(word),
  );
}

/**
 * The search text stored beside a searchable field: its words, joined by single spaces ('' for
 * none). Both full-text engines index exactly these words.
 */
export function searchText(text: string | null | undefined): string {
  return text ? words(text).join(' ') : '';
}

/**
 * The words of a user's `q`, without repeats, in the order given. Throws InvalidSearchError when
 * `q` is too long, has too many words, or has no word the search can use.
 */
export function searchWords(q: string): string[] {
  if (q.length > MAX_SEARCH_LENGTH) {
    throw new InvalidSearchError(`The search is too long: at most ${MAX_SEARCH_LENGTH} characters.`);
  }
  const found = [...new Set(words(q))];
  if (found.length === 0) {
    throw new InvalidSearchError(
      `“${q.trim().slice(0, 50)}” has no word to search for. Search words need at least ${MIN_WORD_LENGTH} letters or digits, and very common words (such as “the” or “with”) are not searched.`,
    );
  }
  if (found.length > MAX_SEARCH_WORDS) {
    throw new InvalidSearchError(`The search has too many words: at most ${MAX_SEARCH_WORDS}.`);
  }
  return found;
}

/** MySQL: `+word*` for every word, for MATCH ... AGAINST (? IN BOOLEAN MODE): all words, as prefixes. */
export function mysqlMatch(words: readonly string[]): string {
  return words.map((word) => `+${word}*`).join(' ');
}

/** SQLite FTS5: `"word"*` for every word (implicit AND), quoted so no word is read as an operator. */
export function sqliteMatch(words: readonly string[]): string {
  return words.map((word) => `"${word}"*`).join(' ');
}
