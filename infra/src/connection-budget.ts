/**
 * The database connection budget: every connection the stack's processes may hold at once, at
 * their peak, against the database's max_connections. Checked with the stack config, so a
 * deployment that could exhaust the database fails at preview, naming the keys to change.
 */

/** The instance refresh's MaxHealthyPercentage (web.ts): a refresh may double the fleet. */
export const REFRESH_MAX_HEALTHY_PERCENT = 200;
/** The migration function runs one invocation with one connection. */
export const MIGRATION_CONNECTIONS = 1;

export interface BudgetInputs {
  /** Web processes per instance (WEB_WORKERS, or one per vCPU). */
  readonly webProcessesPerInstance: number;
  readonly webPoolSize: number;
  readonly asgMaxSize: number;
  readonly workerPoolSize: number;
  /** Each worker's reserved concurrency; undefined: none. */
  readonly reservedConcurrency: readonly (number | undefined)[];
  /** What the unreserved workers share together: the account's unreserved concurrency. */
  readonly unreservedConcurrency: number;
  readonly maxConnections: number;
}

export interface Budget {
  readonly web: number;
  readonly workers: number;
  readonly migration: number;
  readonly total: number;
  readonly maxConnections: number;
}

export function connectionBudget(inputs: BudgetInputs): Budget {
  const peakInstances = Math.ceil((inputs.asgMaxSize * REFRESH_MAX_HEALTHY_PERCENT) / 100);
  const web = peakInstances * inputs.webProcessesPerInstance * inputs.webPoolSize;
  const reserved = inputs.reservedConcurrency.reduce<number>((sum, n) => sum + (n ?? 0), 0);
  const anyUnreserved = inputs.reservedConcurrency.some((n) => n === undefined);
  const concurrency = reserved + (anyUnreserved ? inputs.unreservedConcurrency : 0);
  const workers = concurrency * inputs.workerPoolSize;
  const total = web + workers + MIGRATION_CONNECTIONS;
  return { web, workers, migration: MIGRATION_CONNECTIONS, total, maxConnections: inputs.maxConnections };
}

/** Why the budget does not fit, or undefined when it does. */
export function checkBudget(inputs: BudgetInputs): string | undefined {
  const b = connectionBudget(inputs);
  if (b.total <= b.maxConnections) return undefined;
  return (
    `the stack may open ${b.total} MySQL connections at once but the database allows ${b.maxConnections}: ` +
    `web ${b.web} (asgMaxSize ${inputs.asgMaxSize} x ${REFRESH_MAX_HEALTHY_PERCENT}% during an instance refresh ` +
    `x ${inputs.webProcessesPerInstance} processes x webDbPoolSize ${inputs.webPoolSize}), ` +
    `workers ${b.workers} (their concurrency x workerDbPoolSize ${inputs.workerPoolSize}), migration ${b.migration}. ` +
    'Lower the pool sizes or asgMaxSize, reserve worker concurrency, or choose a larger dbInstanceClass'
  );
}
