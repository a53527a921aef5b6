import { parseArgs } from 'node:util';
import { DEFAULTS, type LoadTestOptions } from './types.ts';
import {
  ArgumentError,
  parseFraction,
  parseHeaders,
  parseMethod,
  parsePositiveInt,
  parseSeconds,
  parseTargetUrl,
} from './values.ts';

/** What the command line asks for. */
export type CliCommand =
  | { readonly kind: 'help' }
  | { readonly kind: 'run'; readonly options: LoadTestOptions; readonly json: boolean };

const FLAGS = {
  url: { type: 'string' },
  requests: { type: 'string' },
  // The seed's load_tester.py spelling, kept so its documented command lines still work.
  'num-requests': { type: 'string' },
  concurrency: { type: 'string' },
  duration: { type: 'string' },
  timeout: { type: 'string' },
  'max-error-rate': { type: 'string' },
  method: { type: 'string' },
  header: { type: 'string', multiple: true },
  json: { type: 'boolean' },
  'allow-remote': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * Parses and validates the load tester's command line (without `node` and the script path).
 * Throws ArgumentError naming the offending flag. Does not apply the loopback guard: that needs
 * only the result, and the CLI reports it separately.
 */
export function parseCliArgs(argv: readonly string[]): CliCommand {
  const values = readFlags(argv);
  if (values.help) return { kind: 'help' };

  if (values.url === undefined) {
    throw new ArgumentError('--url', '--url is required, e.g. --url http://127.0.0.1:3000/gallery');
  }
  const url = parseTargetUrl('--url', values.url);

  if (values.requests !== undefined && values['num-requests'] !== undefined) {
    throw new ArgumentError('--num-requests', 'give --requests or --num-requests, not both');
  }
  const requestsFlag = values['num-requests'] !== undefined ? '--num-requests' : '--requests';
  const rawRequests = values.requests ?? values['num-requests'];
  const durationSeconds =
    values.duration === undefined ? undefined : parseSeconds('--duration', values.duration, 0);
  // Neither limit given: the seed's 4000 requests. Only a duration: run for that long.
  const requests =
    rawRequests !== undefined
      ? parsePositiveInt(requestsFlag, rawRequests)
      : durationSeconds === undefined
        ? DEFAULTS.requests
        : undefined;

  return {
    kind: 'run',
    json: values.json === true,
    options: {
      url,
      requests,
      durationSeconds,
      concurrency: resolveConcurrency(values.concurrency, requests, requestsFlag),
      timeoutSeconds:
        values.timeout === undefined ? DEFAULTS.timeoutSeconds : parseSeconds('--timeout', values.timeout, 1),
      maxErrorRate:
        values['max-error-rate'] === undefined
          ? DEFAULTS.maxErrorRate
          : parseFraction('--max-error-rate', values['max-error-rate']),
      method: values.method === undefined ? DEFAULTS.method : parseMethod('--method', values.method),
      headers: parseHeaders('--header', values.header ?? []),
      allowRemote: values['allow-remote'] === true,
    },
  };
}

function readFlags(argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], options: FLAGS, strict: true, allowPositionals: false }).values;
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    const flag = /'(-[^' ]*)/.exec(message)?.[1];
    const code = (cause as { code?: unknown }).code;
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      throw new ArgumentError(flag, `unknown flag ${flag}; see --help`, { cause });
    }
    throw new ArgumentError(flag, message.split('\n')[0] ?? message, { cause });
  }
}

// Each connection has one request in flight, so more connections than requests could never all be
// used (autocannon refuses it). An explicit excess is an error; the default simply shrinks to fit.
function resolveConcurrency(raw: string | undefined, requests: number | undefined, requestsFlag: string) {
  if (raw === undefined) {
    return requests === undefined ? DEFAULTS.concurrency : Math.min(DEFAULTS.concurrency, requests);
  }
  const concurrency = parsePositiveInt('--concurrency', raw);
  if (requests !== undefined && concurrency > requests) {
    throw new ArgumentError(
      '--concurrency',
      `--concurrency (${concurrency}) must not exceed ${requestsFlag} (${requests})`,
    );
  }
  return concurrency;
}
