import { InvalidCursorError } from './types.ts';

export interface CursorPosition {
  readonly uploadedAtMs: number;
  readonly id: number;
}

/** An opaque cursor: base64url of "<uploadedAt ms>.<id>" for the last row of a page. */
export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(`${position.uploadedAtMs}.${position.id}`, 'utf8').toString('base64url');
}

/** Decodes a cursor from encodeCursor; anything else throws InvalidCursorError. */
export function decodeCursor(cursor: string): CursorPosition {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cursor)) throw new InvalidCursorError(cursor);
  const match = /^(\d{1,15})\.(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  const uploadedAtMs = Number(match?.[1]);
  const id = Number(match?.[2]);
  const position = { uploadedAtMs, id };
  // Canonical form only: one cursor per position, so clients cannot craft aliases.
  if (
    !match ||
    !Number.isSafeInteger(uploadedAtMs) ||
    !Number.isSafeInteger(id) ||
    encodeCursor(position) !== cursor
  ) {
    throw new InvalidCursorError(cursor);
  }
  return position;
}
