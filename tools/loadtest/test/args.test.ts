import { describe, expect, it } from 'vitest';
import { parseCliArgs } from '../src/args.ts';
import { ArgumentError } from '../src/values.ts';

const URL_FLAG = ['--url', 'http://127.0.0.1:3000/gallery'];

function runOptions(argv: string[]) {
  const command = parseCliArgs(argv);
  if (command.kind !== 'run') throw new Error(`expected a run command, got ${command.kind}`);
  return command;
}

function argumentError(argv: string[]): ArgumentError {
  try {
    parseCliArgs(argv);
  } catch (error) {
    if (error instanceof ArgumentError) return error;
    throw error;
  }
  throw new Error(`expected ${argv.join(' ')} to be refused`);
}

describe('parseCliArgs refuses bad command lines, naming the flag', () => {
  it.each([
    { name: 'missing url', argv: ['--requests', '10'], flag: '--url', message: /--url is required/ },
    { name: 'url without a value', argv: ['--url'], flag: '--url', message: /argument missing/ },
    { name: 'url not a URL', argv: ['--url', 'not a url'], flag: '--url', message: /not a valid URL/ },
    { name: 'url not http', argv: ['--url', 'ftp://127.0.0.1/'], flag: '--url', message: /http or https/ },
    {
      name: 'requests not a number',
      argv: [...URL_FLAG, '--requests', 'many'],
      flag: '--requests',
      message: /"many"/,
    },
    {
      name: 'requests zero',
      argv: [...URL_FLAG, '--requests', '0'],
      flag: '--requests',
      message: /at least 1/,
    },
    { name: 'requests negative', argv: [...URL_FLAG, '--requests=-5'], flag: '--requests', message: /"-5"/ },
    {
      name: 'requests fractional',
      argv: [...URL_FLAG, '--requests', '2.5'],
      flag: '--requests',
      message: /whole/,
    },
    {
      name: 'num-requests bad',
      argv: [...URL_FLAG, '--num-requests', 'x'],
      flag: '--num-requests',
      message: /"x"/,
    },
    {
      name: 'both request spellings',
      argv: [...URL_FLAG, '--requests', '5', '--num-requests', '5'],
      flag: '--num-requests',
      message: /not both/,
    },
    {
      name: 'concurrency zero',
      argv: [...URL_FLAG, '--concurrency', '0'],
      flag: '--concurrency',
      message: /at least 1/,
    },
    {
      name: 'concurrency above requests',
      argv: [...URL_FLAG, '--requests', '10', '--concurrency', '11'],
      flag: '--concurrency',
      message: /\(11\) must not exceed --requests \(10\)/,
    },
    {
      name: 'concurrency above the default 4000 requests',
      argv: [...URL_FLAG, '--concurrency', '4001'],
      flag: '--concurrency',
      message: /must not exceed --requests \(4000\)/,
    },
    {
      name: 'duration zero',
      argv: [...URL_FLAG, '--duration', '0'],
      flag: '--duration',
      message: /more than 0/,
    },
    {
      name: 'duration with unit',
      argv: [...URL_FLAG, '--duration', '10s'],
      flag: '--duration',
      message: /"10s"/,
    },
    {
      name: 'timeout under 1 s',
      argv: [...URL_FLAG, '--timeout', '0.5'],
      flag: '--timeout',
      message: /at least 1/,
    },
    {
      name: 'error rate above 1',
      argv: [...URL_FLAG, '--max-error-rate', '1.5'],
      flag: '--max-error-rate',
      message: /0 to 1/,
    },
    {
      name: 'error rate as percent',
      argv: [...URL_FLAG, '--max-error-rate', '5%'],
      flag: '--max-error-rate',
      message: /"5%"/,
    },
    {
      name: 'error rate negative',
      argv: [...URL_FLAG, '--max-error-rate=-0.1'],
      flag: '--max-error-rate',
      message: /0 to 1/,
    },
    {
      name: 'unknown method',
      argv: [...URL_FLAG, '--method', 'FETCH'],
      flag: '--method',
      message: /"FETCH"/,
    },
    {
      name: 'header without colon',
      argv: [...URL_FLAG, '--header', 'x-a'],
      flag: '--header',
      message: /name: value/,
    },
    { name: 'unknown flag', argv: [...URL_FLAG, '--rps', '5'], flag: '--rps', message: /unknown flag --rps/ },
    { name: 'unknown short flag', argv: [...URL_FLAG, '-x'], flag: '-x', message: /unknown flag -x/ },
    {
      name: 'positional argument',
      argv: [...URL_FLAG, 'extra'],
      flag: undefined,
      message: /Unexpected argument 'extra'/,
    },
    {
      name: 'value on a switch',
      argv: [...URL_FLAG, '--json=yes'],
      flag: '--json',
      message: /does not take an argument/,
    },
  ])('$name', ({ argv, flag, message }) => {
    const error = argumentError(argv);
    expect(error.flag).toBe(flag);
    expect(error.message).toMatch(message);
  });
});

describe('parseCliArgs accepts good command lines', () => {
  it('fills in the defaults: 4000 requests, concurrency 20, 10 s timeout, 1% error budget, GET', () => {
    const { options, json } = runOptions(URL_FLAG);
    expect(json).toBe(false);
    expect(options).toEqual({
      url: 'http://127.0.0.1:3000/gallery',
      requests: 4000,
      durationSeconds: undefined,
      concurrency: 20,
      timeoutSeconds: 10,
      maxErrorRate: 0.01,
      method: 'GET',
      headers: {},
      allowRemote: false,
    });
  });

  it("takes the seed's --num-requests spelling", () => {
    expect(runOptions([...URL_FLAG, '--num-requests', '4000', '--concurrency', '20']).options.requests).toBe(
      4000,
    );
  });

  it('runs for a duration only when only --duration is given', () => {
    const { options } = runOptions([...URL_FLAG, '--duration', '2.5']);
    expect(options.requests).toBeUndefined();
    expect(options.durationSeconds).toBe(2.5);
    expect(options.concurrency).toBe(20);
  });

  it('keeps both limits when both are given (whichever is reached first ends the run)', () => {
    const { options } = runOptions([...URL_FLAG, '--duration', '30', '--requests', '100']);
    expect(options).toMatchObject({ requests: 100, durationSeconds: 30 });
  });

  it('shrinks the default concurrency to a smaller request count', () => {
    expect(runOptions([...URL_FLAG, '--requests', '5']).options.concurrency).toBe(5);
  });

  it('reads every other flag', () => {
    const { options, json } = runOptions([
      ...URL_FLAG,
      '--json',
      '--allow-remote',
      '--method',
      'head',
      '--timeout',
      '2.5',
      '--max-error-rate',
      '0',
      '--header',
      'Accept: application/json',
      '--header',
      'x-trace:a:b',
      '--header',
      'accept:text/html',
    ]);
    expect(json).toBe(true);
    expect(options).toMatchObject({
      allowRemote: true,
      method: 'HEAD',
      timeoutSeconds: 2.5,
      maxErrorRate: 0,
    });
    // A repeated header keeps its last value; only the first colon separates name from value.
    expect(options.headers).toEqual({ 'x-trace': 'a:b', accept: 'text/html' });
  });

  it('answers --help and -h even without --url', () => {
    expect(parseCliArgs(['--help'])).toEqual({ kind: 'help' });
    expect(parseCliArgs(['-h'])).toEqual({ kind: 'help' });
  });
});
