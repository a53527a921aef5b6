// Loads a Lambda bundle the way the Node.js runtime does (a dynamic import of the handler's module
// from the task root), then hands it the events one by one. Started as a fresh process by
// invokeLambdaImage; what it measured goes to file descriptor 3 as one JSON line, so the
// function's own log lines on stdout stay apart.
// performance.now() counts from the process's start (its time origin), Node's own start-up included.
import { readFileSync, writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const bootMs = performance.now();
/** CPU time (user + system) this process has used so far, in ms. */
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
const [file, exportName, eventsFile] = process.argv.slice(2);
const events = JSON.parse(readFileSync(eventsFile, 'utf8'));

let report;
try {
  const module = await import(pathToFileURL(file).href);
  const handler = module[exportName];
  if (typeof handler !== 'function') throw new Error(`${file} exports no function "${exportName}"`);
  const readyMs = performance.now();
  const readyCpuMs = cpuMs();
  const results = [];
  for (const [index, event] of events.entries()) {
    const startedMs = performance.now();
    const context = {
      awsRequestId: `cold-start-${process.pid}-${index}`,
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'function',
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${process.env.AWS_LAMBDA_FUNCTION_NAME}`,
      memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '1024',
      getRemainingTimeInMillis: () => 60_000,
    };
    try {
      const outcome = await handler(event, context);
      const finishedMs = performance.now();
      results.push({ outcome, startedMs, finishedMs, cpuMs: cpuMs(), rssBytes: process.memoryUsage.rss() });
    } catch (error) {
      results.push({
        error: String(error?.stack ?? error),
        startedMs,
        finishedMs: performance.now(),
        cpuMs: cpuMs(),
      });
    }
  }
  report = { bootMs, readyMs, readyCpuMs, results, maxRssBytes: process.resourceUsage().maxRSS * 1024 };
} catch (error) {
  report = {
    bootMs,
    initError: String(error?.stack ?? error),
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}
writeSync(3, `${JSON.stringify(report)}\n`);
// The function's pools and sockets would keep the process alive; Lambda would freeze it here.
process.exit(0);
