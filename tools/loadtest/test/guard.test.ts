import { describe, expect, it } from 'vitest';
import { parseCliArgs } from '../src/args.ts';
import { assertTargetAllowed, isLoopbackHost, RemoteTargetError } from '../src/guard.ts';

// Only hostnames are judged here: nothing in this file sends a request anywhere.
describe('the loopback guard', () => {
  it.each([
    'http://127.0.0.1:3000/gallery',
    'http://127.5.6.7/',
    'http://127.255.255.254:8080/',
    'http://[::1]:3000/',
    'http://localhost:3000/',
    'https://LOCALHOST/',
    // WHATWG URL expands these shorthands to 127.0.0.1 and ::ffff:7f00:1 before the check.
    'http://127.1/',
    'http://[::ffff:127.0.0.1]/',
  ])('allows %s', (url) => {
    expect(isLoopbackHost(new URL(url))).toBe(true);
    expect(() => assertTargetAllowed(url, false)).not.toThrow();
  });

  it.each([
    'http://10.0.0.1/',
    'http://example.com/gallery',
    'http://192.168.1.1:5000/',
    'http://128.0.0.1/',
    'http://0.0.0.0:3000/',
    'http://[::2]/',
    'http://[::ffff:10.0.0.1]/',
    // Names other than localhost are remote even if they would resolve to loopback: no DNS is consulted.
    'http://localhost.example.com/',
    'http://my-alb-123.eu-west-1.elb.amazonaws.com/gallery',
  ])('refuses %s without --allow-remote', (url) => {
    expect(isLoopbackHost(new URL(url))).toBe(false);
    expect(() => assertTargetAllowed(url, false)).toThrow(RemoteTargetError);
    expect(() => assertTargetAllowed(url, false)).toThrow(/--allow-remote/);
  });

  it.each(['http://10.0.0.1/', 'http://example.com/', 'http://192.168.1.1/'])(
    'allows %s with --allow-remote',
    (url) => {
      const command = parseCliArgs(['--url', url, '--allow-remote']);
      if (command.kind !== 'run') throw new Error('expected a run command');
      expect(() => assertTargetAllowed(command.options.url, command.options.allowRemote)).not.toThrow();
    },
  );

  it('names the refused host in the error', () => {
    expect(() => assertTargetAllowed('http://192.168.1.1:5000/x', false)).toThrow(/192\.168\.1\.1:5000/);
  });
});
