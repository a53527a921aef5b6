import { describe, expect, it } from 'vitest';
import { NAME_LIMITS, physicalName, resourceNames, sanitize } from '../src/naming.ts';

const PROJECT = 'image-annotation-platform';
const STACKS = ['dev', 'staging', 'prod', 'feature-very-long-branch-name-for-a-preview-stack', 'Dev_2'];

describe.each(STACKS)('names for stack "%s"', (stack) => {
  const names = resourceNames({ project: PROJECT, stack });

  it('names no ALB or target group: those are autonamed, so a replacement never clashes with itself', () => {
    expect(names).not.toHaveProperty('loadBalancer');
    expect(names).not.toHaveProperty('targetGroup');
  });

  it('the RDS identifier is valid: starts with a letter, at most 63 characters, no double hyphen', () => {
    expect(names.database.length).toBeLessThanOrEqual(NAME_LIMITS.rdsIdentifier);
    expect(names.database).toMatch(/^[a-z][a-z0-9-]*[a-z0-9]$/);
    expect(names.database).not.toContain('--');
  });

  it('Lambda names fit in 64 characters', () => {
    expect(names.annotator.length).toBeLessThanOrEqual(64);
    expect(names.thumbnailer.length).toBeLessThanOrEqual(64);
    expect(names.migration.length).toBeLessThanOrEqual(64);
  });

  it('are stable: the same stack always gets the same names', () => {
    expect(resourceNames({ project: PROJECT, stack })).toEqual(names);
  });
});

describe('two stacks never collide', () => {
  it.each([
    ['dev', 'prod'],
    ['staging', 'staging2'],
    // Long names that only differ after the truncation point still differ, through the hash.
    ['preview-feature-aaaaaaaaaaaaaaaaaaaa-1', 'preview-feature-aaaaaaaaaaaaaaaaaaaa-2'],
  ])('%s and %s', (a, b) => {
    const first = resourceNames({ project: PROJECT, stack: a });
    const second = resourceNames({ project: PROJECT, stack: b });
    for (const key of [
      'annotator',
      'migration',
      'thumbnailer',
      'database',
      'webAcl',
      'webLogGroup',
    ] as const) {
      expect(first[key]).not.toBe(second[key]);
    }
  });
});

describe('physicalName', () => {
  it('keeps a short name readable', () => {
    expect(physicalName({ project: 'annot', stack: 'dev' }, 'alb', 32)).toBe('annot-dev-alb');
  });

  it('shortens a long prefix and keeps the component whole', () => {
    const name = physicalName({ project: PROJECT, stack: 'production' }, 'web-5000', 32);
    expect(name).toMatch(/^image-annotation[a-z-]*-[0-9a-f]{6}-web-5000$/);
    expect(name.length).toBeLessThanOrEqual(32);
  });

  it('refuses a component that cannot fit', () => {
    expect(() => physicalName({ project: 'a', stack: 'b' }, 'x'.repeat(30), 32)).toThrow(/too long/);
  });

  it.each([
    ['My_Stack', 'my-stack'],
    ['--a--b--', 'a-b'],
    ['UPPER.case', 'upper-case'],
  ])('sanitize(%s) = %s', (input, output) => {
    expect(sanitize(input)).toBe(output);
  });
});
