import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../src/cursor.ts';
import { InvalidCursorError } from '../src/index.ts';

describe('pagination cursors', () => {
  it('round-trip the position of the last row, as URL-safe text', () => {
    const position = { uploadedAtMs: Date.UTC(2025, 0, 1, 0, 0, 0, 123), id: 2_147_483_647 };
    const cursor = encodeCursor(position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor)).toEqual(position);
  });

  it.each(['', '=', 'a+b/', 'x'.repeat(65), Buffer.from('1.2junk').toString('base64url')])(
    'refuses %j',
    (cursor) => {
      expect(() => decodeCursor(cursor)).toThrow(InvalidCursorError);
    },
  );
});
