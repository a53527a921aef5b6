/**
 * Undo steps (stop the server, stop s3rver, drop the database...), run newest first, once, on
 * the way out: normally from a `finally`, or on Ctrl-C, so an interrupted bench leaves nothing.
 */
export class Cleanup {
  readonly #steps: { label: string; run: () => Promise<unknown> | unknown }[] = [];
  #done: Promise<void> | undefined;

  constructor() {
    process.once('SIGINT', () => {
      console.error('\ninterrupted: cleaning up');
      void this.run().finally(() => process.exit(130));
    });
  }

  add(label: string, run: () => Promise<unknown> | unknown): void {
    this.#steps.push({ label, run });
  }

  run(): Promise<void> {
    this.#done ??= (async () => {
      for (const step of this.#steps.reverse()) {
        try {
          await step.run();
        } catch (error) {
          console.error(`cleanup: ${step.label} failed:`, error);
        }
      }
    })();
    return this.#done;
  }
}

/** Runs a bench's main with a Cleanup that always runs; a failure is printed and sets the exit code. */
export async function runBench(name: string, main: (cleanup: Cleanup) => Promise<void>): Promise<void> {
  const cleanup = new Cleanup();
  try {
    await main(cleanup);
  } catch (error) {
    console.error(`${name} failed:`, error);
    process.exitCode = 1;
  } finally {
    await cleanup.run();
  }
}
