/** IPv4 CIDR arithmetic for validating the VPC layout before anything is created. */

export interface Cidr {
  readonly text: string;
  /** First address of the block, as an unsigned 32-bit number. */
  readonly start: number;
  /** Last address of the block. */
  readonly end: number;
  readonly prefix: number;
}

/** Parses "a.b.c.d/n"; throws when the text is not a CIDR block or has host bits set. */
export function parseCidr(text: string): Cidr {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text.trim());
  if (!match) throw new Error(`"${text}" is not an IPv4 CIDR block like 10.0.0.0/16`);
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((o) => o > 255) || prefix > 32) throw new Error(`"${text}" is not a valid IPv4 CIDR block`);
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  if (address % size !== 0) {
    throw new Error(
      `"${text}" has host bits set; the block starts at ${formatAddress(address - (address % size))}`,
    );
  }
  return { text: text.trim(), start: address, end: address + size - 1, prefix };
}

function formatAddress(address: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(address / 2 ** shift) % 256).join('.');
}

export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  return inner.start >= outer.start && inner.end <= outer.end;
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.start <= b.end && b.start <= a.end;
}
