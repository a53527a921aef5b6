// The checks every scenario makes, as soft expectations: a scenario goes on after a failed one, so
// a run reports every way the system fell short, not only the first.
import { expect } from 'vitest';
import {
  type Dependency,
  dependencyStates,
  MARGIN_MS,
  PROBE_BUDGET_MS,
  SETTINGS,
  uploadBudget,
  validRetryAfter,
} from './contract.ts';
import { type Outcome, type RequestLog, summarize } from './requests.ts';
import type { FaultySystem } from './system.ts';

/** 503 with a valid Retry-After. */
export function expectUnavailable(outcome: Outcome): void {
  expect.soft(outcome.status, `${outcome.label}: ${summarize(outcome)}`).toBe(503);
  expect
    .soft(validRetryAfter(outcome.retryAfter), `${outcome.label}: Retry-After ${outcome.retryAfter}`)
    .toBe(true);
}

export function expectStatus(outcome: Outcome, status: number): void {
  expect.soft(outcome.status, `${outcome.label}: ${summarize(outcome)}`).toBe(status);
}

/** Ended sooner than `ms` (a refused connection is noticed at once, not after a timeout). */
export function expectWithin(outcome: Outcome, ms: number): void {
  expect.soft(Math.round(outcome.ms), `${outcome.label} took ${Math.round(outcome.ms)} ms`).toBeLessThan(ms);
}

/** GET /health: 200 while the process serves, reporting `down` as down and the other one as up. */
export function expectHealthReport(health: Outcome, down: Dependency): void {
  expectStatus(health, 200);
  expect.soft(dependencyStates(health.body), `/health body ${health.body}`).toEqual({
    database: down !== 'database',
    storage: down !== 'storage',
  });
}

/**
 * The end of every scenario: the same web process still serves (no restart was needed), every
 * request ended within its budget, and, once the sweep has had `settleMs`, rows and originals
 * match one to one with no multipart upload left.
 */
export async function expectCleanEnd(
  system: FaultySystem,
  log: RequestLog,
  { pid, settleMs }: { pid: number; settleMs: number },
): Promise<void> {
  expect.soft(system.web.pid, 'the web process was replaced').toBe(pid);
  expect.soft(system.web.exited, `the web process exited:\n${system.web.output()}`).toBe(false);
  const found = await system.inspector.settle(settleMs);
  expect.soft(found, `after ${Math.round(settleMs)} ms`).toEqual({
    rowsWithoutObject: [],
    objectsWithoutRow: [],
    unfinishedUploads: [],
  });
  expect.soft(log.outlived(), 'requests that outlived their budget').toEqual([]);
}

/** How long the web tier may take to notice that a dependency is back. */
export const RECOVERY_MS = 5000;

/**
 * After a fault is gone, without a restart: /ready turns 200 within RECOVERY_MS, then an upload is
 * stored and the gallery shows.
 */
export async function expectRecovered(log: RequestLog): Promise<void> {
  const ready = await log.until('/ready', 200, { withinMs: RECOVERY_MS, budgetMs: PROBE_BUDGET_MS });
  expectStatus(ready, 200);
  expectStatus(await log.upload(uploadBudget('storage'), 'POST /upload after recovery'), 201);
  expectStatus(await log.get('/gallery', SETTINGS.DB_QUERY_TIMEOUT_MS + MARGIN_MS), 200);
}
