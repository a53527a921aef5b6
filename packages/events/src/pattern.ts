/**
 * EventBridge event patterns as data, and a matcher for the operators this project uses.
 *
 * The pattern that routes uploads to the workers is built by `objectCreatedPattern`, and the one
 * that routes a retry to one worker by `stageRequestedPattern`. Infra serialises them into the
 * EventBridge rules, and the local bus matches events against the same objects, so the two cannot
 * drift apart.
 */

import { UPLOADS_PREFIX } from '@annot/object-keys';
import {
  type RequestableStage,
  STAGE_REQUESTED_DETAIL_TYPE,
  STAGE_REQUESTED_SOURCE,
} from './stage-requested.ts';

export type PatternValue =
  | string
  | number
  | boolean
  | null
  | { prefix: string }
  | { suffix: string }
  | { 'anything-but': string | number | readonly (string | number)[] }
  | { exists: boolean };

export interface EventPattern {
  readonly [field: string]: readonly PatternValue[] | EventPattern;
}

/** The rule that sends new originals to both workers. */
export function objectCreatedPattern(originalsBucket: string) {
  if (originalsBucket.length === 0) throw new Error('objectCreatedPattern: bucket name must not be empty');
  return {
    source: ['aws.s3'],
    'detail-type': ['Object Created'],
    detail: {
      bucket: { name: [originalsBucket] },
      object: { key: [{ prefix: UPLOADS_PREFIX }] },
    },
  } as const satisfies EventPattern;
}

/**
 * The rule that sends one worker the retries of its own stage: `stage` is the worker's, so a
 * retry of the other stage never reaches it. Infra deploys one rule per worker with it; the local
 * bus subscribes each worker with it.
 */
export function stageRequestedPattern(originalsBucket: string, stage: RequestableStage) {
  if (originalsBucket.length === 0) throw new Error('stageRequestedPattern: bucket name must not be empty');
  return {
    source: [STAGE_REQUESTED_SOURCE],
    'detail-type': [STAGE_REQUESTED_DETAIL_TYPE],
    detail: {
      bucket: { name: [originalsBucket] },
      object: { key: [{ prefix: UPLOADS_PREFIX }] },
      stage: [stage],
    },
  } as const satisfies EventPattern;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function matchesValue(condition: PatternValue, value: unknown, present: boolean): boolean {
  if (!isPlainObject(condition)) {
    return present && value === condition;
  }
  if ('exists' in condition) return condition.exists === present;
  if (!present) return false;
  if ('prefix' in condition) return typeof value === 'string' && value.startsWith(condition.prefix);
  if ('suffix' in condition) return typeof value === 'string' && value.endsWith(condition.suffix);
  if ('anything-but' in condition) {
    const excluded = condition['anything-but'];
    const list: readonly (string | number)[] = Array.isArray(excluded) ? excluded : [excluded as string];
    return (typeof value === 'string' || typeof value === 'number') && !list.includes(value);
  }
  throw new Error(`Unsupported event pattern operator: ${JSON.stringify(condition)}`);
}

function matchesField(conditions: readonly PatternValue[], field: unknown, present: boolean): boolean {
  // EventBridge matches an array field if any of its elements matches.
  if (Array.isArray(field)) {
    return field.some((element) => conditions.some((c) => matchesValue(c, element, true)));
  }
  return conditions.some((condition) => matchesValue(condition, field, present));
}

/**
 * Evaluates an EventBridge pattern against an event: every field named in the pattern must match
 * (AND), and within a field any listed value may match (OR). Supported operators: exact values,
 * `prefix`, `suffix`, `anything-but` and `exists`. An unknown operator throws rather than silently
 * matching nothing.
 */
export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
  if (!isPlainObject(event)) return false;
  for (const [name, condition] of Object.entries(pattern)) {
    const present = Object.hasOwn(event, name);
    const field = event[name];
    if (Array.isArray(condition)) {
      if (!matchesField(condition, field, present)) return false;
    } else {
      if (!present || !isPlainObject(field)) return false;
      if (!matchesPattern(condition as EventPattern, field)) return false;
    }
  }
  return true;
}
