import { fileTypeFromBuffer } from 'file-type';
import { ACCEPTED_FORMATS, type FormatInfo } from './formats.ts';
import { type ImageProblem, problems } from './problems.ts';

/** file-type decides from the first 4100 bytes at most: the bytes detection needs. */
export const DETECT_BYTES = 4100;

export type Detection =
  | { readonly accepted: true; readonly info: FormatInfo }
  | { readonly accepted: false; readonly problem: ImageProblem };

const BY_DETECTED = new Map(
  ACCEPTED_FORMATS.flatMap((info) => info.detectedAs.map((mime) => [mime, info] as const)),
);

/**
 * The one detector: decides a file's type from its magic bytes (never from its name or a
 * client's Content-Type), with file-type, and says whether the platform accepts it. Only the
 * first DETECT_BYTES are read. An unaccepted type is named when file-type knows it ("HEIC").
 */
export async function detectFormat(bytes: Uint8Array): Promise<Detection> {
  if (bytes.length === 0) return { accepted: false, problem: problems.empty() };
  const detected = await fileTypeFromBuffer(bytes.subarray(0, DETECT_BYTES));
  const info = detected ? BY_DETECTED.get(detected.mime) : undefined;
  if (info) return { accepted: true, info };
  return { accepted: false, problem: problems.unsupported(detected?.ext.toUpperCase()) };
}
