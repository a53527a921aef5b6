/**
 * Calls policy pack rules directly, the way the Pulumi engine would, on fake resources or on the
 * resources a mocked program run registered.
 */
import type {
  PolicyResource,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from '@pulumi/policy';
import { POLICIES } from '../../policy/rules/index.ts';
import type { RecordedResource } from './mocks.ts';

export function resource(
  type: string,
  name: string,
  props: Record<string, unknown>,
  deps: Record<string, PolicyResource[]> = {},
): PolicyResource {
  return {
    type,
    name,
    urn: `urn:pulumi:test::project::${type}::${name}`,
    props,
    opts: {} as PolicyResource['opts'],
    dependencies: Object.values(deps).flat(),
    propertyDependencies: deps,
    // The rules compare type tokens themselves; these helpers are never consulted.
    isType: () => false,
    asType: () => undefined,
  } as PolicyResource;
}

/** The violations one resource policy reports for one resource. */
export function validateResource(policy: ResourceValidationPolicy, target: PolicyResource): string[] {
  const violations: string[] = [];
  const args = {
    type: target.type,
    props: target.props,
    urn: target.urn,
    name: target.name,
    opts: target.opts,
    stackTags: new Map(),
    getConfig: () => ({}),
    notApplicable: () => {
      throw new Error('not applicable');
    },
    isType: () => false,
    asType: () => undefined,
  } as unknown as ResourceValidationArgs;
  for (const validate of [policy.validateResource ?? []].flat())
    validate(args, (message) => violations.push(message));
  return violations;
}

/** The violations one stack policy reports for a set of resources. */
export function validateStack(policy: StackValidationPolicy, resources: PolicyResource[]): string[] {
  const violations: string[] = [];
  const args = {
    resources,
    stackTags: new Map(),
    getConfig: () => ({}),
    notApplicable: () => {
      throw new Error('not applicable');
    },
  } as unknown as StackValidationArgs;
  policy.validateStack(args, (message) => violations.push(message));
  return violations;
}

/** Every violation of the whole pack for a program run's resources. */
export function packViolations(recorded: readonly RecordedResource[]): string[] {
  const resources = recorded
    .filter((r) => r.custom)
    .map((r) => resource(r.type, r.name, { ...r.state, id: r.id }));
  return POLICIES.flatMap((policy) =>
    'validateStack' in policy
      ? validateStack(policy, resources).map((v) => `${policy.name}: ${v}`)
      : resources.flatMap((r) => validateResource(policy, r).map((v) => `${policy.name}: ${v}`)),
  );
}
