/**
 * How one resource refers to another in a stack validation: by a property dependency (the only
 * signal during a first preview, when IDs are unknown) or by a known ID or name.
 */
import type { PolicyResource } from '@pulumi/policy';

/** The values other resources use to point at `target`. */
function identities(target: PolicyResource): unknown[] {
  return [target.props.id, target.props.bucket, target.props.arn, target.props.name].filter(
    (v) => v !== undefined,
  );
}

/** Whether `resource.props[property]` (a value or a list) points at `target`. */
export function refersTo(resource: PolicyResource, property: string, target: PolicyResource): boolean {
  if (resource.propertyDependencies?.[property]?.some((dependency) => dependency.urn === target.urn))
    return true;
  const value = resource.props[property];
  const ids = identities(target);
  const values: unknown[] = Array.isArray(value) ? value : [value];
  return values.some((v) => v !== undefined && ids.includes(v));
}

export function ofType(resources: readonly PolicyResource[], ...types: string[]): PolicyResource[] {
  return resources.filter((r) => types.includes(r.type));
}

/** A policy document given as JSON text or as an object. */
export function parsePolicy(policy: unknown): { Statement?: unknown } | undefined {
  if (typeof policy === 'string') {
    try {
      return JSON.parse(policy) as { Statement?: unknown };
    } catch {
      return undefined;
    }
  }
  return typeof policy === 'object' && policy !== null ? (policy as { Statement?: unknown }) : undefined;
}

export function asList<T>(value: T | readonly T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? [...(value as T[])] : [value as T];
}
