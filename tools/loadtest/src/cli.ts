import { parseCliArgs } from './args.ts';
import { assertTargetAllowed, RemoteTargetError } from './guard.ts';
import { HELP } from './help.ts';
import { createProgressPrinter } from './progress.ts';
import { renderJson, renderText } from './report.ts';
import { ArgumentError } from './values.ts';

/** Process exit codes; documented in README.md and --help. */
const EXIT = { ok: 0, thresholdExceeded: 1, usage: 2, failed: 3 } as const;

// retimer (under autocannon) re-arms a request timer with a slightly negative delay when the timer
// fires a hair early, and Node 24 prints a TimeoutNegativeWarning for each. It is harmless and
// would bury the progress line, so only that warning is dropped; every other one is still shown.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (warning.name !== 'TimeoutNegativeWarning')
    process.stderr.write(`${warning.name}: ${warning.message}\n`);
});

async function main(argv: readonly string[]): Promise<number> {
  let command: ReturnType<typeof parseCliArgs>;
  try {
    command = parseCliArgs(argv);
    if (command.kind === 'run') assertTargetAllowed(command.options.url, command.options.allowRemote);
  } catch (error) {
    if (error instanceof ArgumentError) {
      process.stderr.write(`loadtest: ${error.message}\nRun with --help for usage.\n`);
      return EXIT.usage;
    }
    if (error instanceof RemoteTargetError) {
      process.stderr.write(`loadtest: ${error.message}\n`);
      return EXIT.usage;
    }
    throw error;
  }
  if (command.kind === 'help') {
    process.stdout.write(HELP);
    return EXIT.ok;
  }

  // Ctrl-C ends the run early but still prints what was measured; a second Ctrl-C kills it.
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  const progress = createProgressPrinter(process.stderr);
  try {
    // Loaded only now: autocannon takes most of the start-up time, which --help and a typo need not pay.
    const { runLoadTest } = await import('./run.ts');
    const report = await runLoadTest(command.options, {
      onProgress: (snapshot) => progress.update(snapshot),
      signal: abort.signal,
    });
    progress.finish();
    process.stdout.write(command.json ? renderJson(report) : renderText(report));
    return report.passed ? EXIT.ok : EXIT.thresholdExceeded;
  } catch (error) {
    progress.finish();
    process.stderr.write(`loadtest: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.failed;
  }
}

process.exitCode = await main(process.argv.slice(2));
