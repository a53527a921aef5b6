import { describe, expect, it } from 'vitest';
import type { StackConfigError } from '../../src/config.ts';
import { PROJECT, runProgramExpectingError } from '../support/program.ts';

describe('a bad stack config stops the program before any resource is created', () => {
  it.each([
    [
      'asgMaxSize',
      { asgMinSize: '3', asgMaxSize: '2', asgDesiredCapacity: '3' },
      /asgMaxSize: must be at least asgMinSize/,
    ],
    [
      'privateSubnetCidrs',
      { privateSubnetCidrs: '["10.0.101.0/24","192.168.0.0/24"]' },
      /192\.168\.0\.0\/24 is outside the VPC/,
    ],
    ['dbInstanceClass', { dbInstanceClass: 'db.x1.jumbo' }, /dbInstanceClass: unknown instance class/],
    ['owner', { owner: undefined }, /owner: is required/],
    ['geminiApiKey', { geminiApiKey: undefined }, /geminiApiKey: is required \(pulumi config set --secret/],
    // The web tier's user data would refuse it; the config refuses it first.
    [
      'appEnv.GEMINI_MODEL',
      { appEnv: '{"GEMINI_MODEL":"$(reboot)"}' },
      /appEnv\.GEMINI_MODEL: must be one line/,
    ],
  ])('%s', async (key, config, message) => {
    const { error, resources } = await runProgramExpectingError({ config });
    expect(error.message).toMatch(message);
    expect(error.message).toContain(`${PROJECT}:${key}`);
    expect(resources).toEqual([]);
  });

  it('lists every problem in one error, a missing Gemini secret among them', async () => {
    const { error, resources } = await runProgramExpectingError({
      config: {
        geminiApiKey: undefined,
        webInstanceType: 't4g.micro',
        dbInstanceClass: 'db.x1.jumbo',
        logRetentionDays: '10',
        appEnv: '{"GEMINI_MODEL":"a\\nB=evil"}',
      },
    });
    // The program is re-imported per run, so its StackConfigError is not this module's class.
    expect(error.name).toBe('StackConfigError');
    const keys = (error as StackConfigError).problems.map((p) => p.key);
    expect([...keys].sort()).toEqual(
      ['appEnv.GEMINI_MODEL', 'dbInstanceClass', 'geminiApiKey', 'logRetentionDays', 'webInstanceType'].map(
        (key) => `${PROJECT}:${key}`,
      ),
    );
    for (const key of keys) expect(error.message).toContain(`\n  - ${key}: `);
    expect(resources).toEqual([]);
  });

  it('aws:region', async () => {
    const { error, resources } = await runProgramExpectingError({ region: undefined });
    expect(error.message).toMatch(/aws:region: is required/);
    expect(resources).toEqual([]);
  });
});
