import { describe, expect, it } from 'vitest';
import { InvalidSearchError, MAX_SEARCH_LENGTH, searchText, searchWords } from '../src/index.ts';

describe('search words', () => {
  it('cuts text into lower-case, accent-free words of letters and digits, without short words or stopwords', () => {
    expect(searchText('IMG_2041 Café-au-lait.JPG')).toBe('img 2041 cafe lait jpg');
    expect(searchText("The lighthouse's beam, with an ox")).toBe('lighthouse beam');
    expect(searchText('ﬁsh Straße 東京タワー')).toBe('fish straße 東京タワー');
    expect(searchText(null)).toBe('');
    expect(searchText(`${'x'.repeat(85)} ok${'y'.repeat(82)}`)).toBe(`ok${'y'.repeat(82)}`);
  });

  it('reads a query by the same rules, once per word', () => {
    expect(searchWords('  Red  CAFÉ, red bicycl* ')).toEqual(['red', 'cafe', 'bicycl']);
    // Operators of either engine are only separators: nothing reaches SQL but letters and digits.
    expect(searchWords('+cat -dog "sea" NEAR(x) OR/AND')).toEqual(['cat', 'dog', 'sea', 'near', 'and']);
  });

  it.each(['', 'a', 'to the of', '¡!', 'ox on'])('refuses %j: no word to search for', (q) => {
    expect(() => searchWords(q)).toThrow(InvalidSearchError);
    expect(() => searchWords(q)).toThrow(/no word to search for/);
  });

  it('refuses a query over the length or word limit', () => {
    expect(() => searchWords('a'.repeat(MAX_SEARCH_LENGTH + 1))).toThrow(/too long/);
    expect(searchWords('cat '.repeat(50).trim())).toEqual(['cat']);
    expect(() => searchWords('one two three four five six seven eight nine ten eleven')).toThrow(
      /too many words/,
    );
  });
});
