import { BlockList, isIP } from 'node:net';

/** The target is not loopback and the caller did not allow remote targets. */
export class RemoteTargetError extends Error {
  override readonly name = 'RemoteTargetError';
  readonly host: string;
  constructor(host: string, options?: ErrorOptions) {
    super(
      `refusing to load ${host}: it is not a loopback address (127.0.0.0/8, ::1, localhost). ` +
        'Pass --allow-remote if you really mean to send load to another machine.',
      options,
    );
    this.host = host;
  }
}

// BlockList also matches IPv4-mapped IPv6 forms such as ::ffff:127.0.0.1 against the IPv4 rule.
const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/**
 * True when the URL's host is loopback, decided from the text alone: no DNS lookup is made.
 * `localhost` is the only name accepted; any other name counts as remote, even one that would
 * resolve to 127.0.0.1, because resolving it is exactly the lookup this guard must not depend on.
 */
export function isLoopbackHost(url: URL): boolean {
  // WHATWG URL has already normalised the host: lower case, IPv4 shorthands such as 127.1 expanded,
  // IPv6 compressed and wrapped in brackets.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === 'localhost') return true;
  const family = isIP(host);
  if (family === 4) return loopback.check(host, 'ipv4');
  if (family === 6) return loopback.check(host, 'ipv6');
  return false;
}

/** Throws RemoteTargetError unless the URL is loopback or remote targets are allowed. */
export function assertTargetAllowed(url: string, allowRemote: boolean): void {
  if (allowRemote) return;
  const parsed = new URL(url);
  if (!isLoopbackHost(parsed)) throw new RemoteTargetError(parsed.host);
}
