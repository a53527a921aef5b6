/**
 * A small IAM evaluator for identity policies: explicit Deny wins, then any Allow whose action and
 * resource patterns match. Conditions are treated as met, which over-approximates access: a test
 * that says "cannot" stays sound.
 */
import type { PolicyDocument } from '../../src/policies.ts';

function matches(pattern: string, value: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );
  return regex.test(value);
}

function applies(statement: PolicyDocument['Statement'][number], action: string, resource: string): boolean {
  return (
    statement.Action.some((a) => matches(a, action)) &&
    (statement.Resource ?? ['*']).some((r) => matches(r, resource))
  );
}

export function allows(policy: PolicyDocument, action: string, resource: string): boolean {
  if (policy.Statement.some((s) => s.Effect === 'Deny' && applies(s, action, resource))) return false;
  return policy.Statement.some((s) => s.Effect === 'Allow' && applies(s, action, resource));
}

/** Every action a policy allows on some resource other than "*". */
export function scopedActions(policy: PolicyDocument): string[] {
  return policy.Statement.filter((s) => s.Effect === 'Allow' && !(s.Resource ?? ['*']).includes('*')).flatMap(
    (s) => [...s.Action],
  );
}
