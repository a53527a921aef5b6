/**
 * How sizes are written in every message and page: bytes in binary megabytes (MiB, as the upload
 * limit is configured) and pixel counts in megapixels (as the upload page states the limit).
 */
const MIB = 1024 * 1024;

/** "50 MiB", "51.1 MiB"; below 1 MiB "136.2 KiB"; below 1 KiB "12 bytes". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < MIB) return `${trimmed(bytes / 1024)} KiB`;
  return `${trimmed(bytes / MIB)} MiB`;
}

/** "60 megapixels", "61.2 megapixels", "4,295 megapixels". */
export function formatMegapixels(pixels: number): string {
  return `${trimmed(pixels / 1e6)} megapixels`;
}

/** One decimal, without a trailing ".0", with thousands separators. */
function trimmed(value: number): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: 1 });
}
