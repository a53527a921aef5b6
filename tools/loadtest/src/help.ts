/** The text printed for --help. Kept in step with README.md. */
export const HELP = `Usage: pnpm loadtest --url <url> [options]

Sends HTTP load with autocannon and reports throughput, latency, status codes and errors.

  --url <url>              target, http or https (required)
  --requests <n>           stop after n requests (alias --num-requests; default 4000
                           when neither --requests nor --duration is given)
  --duration <seconds>     stop after this long; with --requests, whichever comes first
  --concurrency <n>        connections with a request in flight (default 20, at most --requests)
  --timeout <seconds>      a request with no response after this long is a timeout (default 10, min 1)
  --max-error-rate <f>     fail when (errors + timeouts + 5xx) / requests > f (default 0.01)
  --method <method>        HTTP method (default GET)
  --header <name:value>    extra request header, repeatable
  --json                   print the report as JSON on stdout (progress stays on stderr)
  --allow-remote           allow a target that is not loopback (127.0.0.0/8, ::1, localhost)
  -h, --help               show this help

Exit codes: 0 ok, 1 error rate above --max-error-rate, 2 bad arguments or remote target refused,
3 the load test could not run.
`;
