/**
 * The resource inventory: every resource's type, logical name and inputs, with secrets masked and
 * user data decoded. Any change to the topology shows up as a reviewable diff of the snapshot.
 * After an intended change: `pnpm --filter infra exec vitest run -u test/inventory.test.ts`.
 */
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../src/paths.ts';
import type { RecordedResource } from './support/mocks.ts';
import { ALL_ON, runProgram } from './support/program.ts';
import { isSecretValue } from './support/resources.ts';

function clean(value: unknown): unknown {
  if (isSecretValue(value)) return '[secret]';
  if (typeof value === 'string') return value.split(REPO_ROOT).join('<repo>');
  if (Array.isArray(value)) return value.map(clean);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clean(v)]));
  }
  return value;
}

function inventory(resources: readonly RecordedResource[]) {
  return resources
    .map((r) => {
      const inputs = { ...r.inputs };
      if (typeof inputs.userData === 'string')
        inputs.userData = Buffer.from(inputs.userData, 'base64').toString('utf8').split('\n');
      for (const key of ['policy', 'eventPattern', 'assumeRolePolicy']) {
        if (typeof inputs[key] === 'string') inputs[key] = JSON.parse(inputs[key]);
      }
      return { resource: `${r.type} ${r.name}`, inputs: clean(inputs) };
    })
    .sort((a, b) => a.resource.localeCompare(b.resource));
}

describe('resource inventory', () => {
  it('with the default config', async () => {
    const run = await runProgram();
    expect(inventory(run.resources)).toMatchSnapshot();
  });

  it('with every optional feature on (production stack)', async () => {
    const run = await runProgram({ stack: 'prod', config: ALL_ON });
    expect(inventory(run.resources)).toMatchSnapshot();
  });
});
