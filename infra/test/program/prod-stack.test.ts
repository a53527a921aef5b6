/**
 * Pulumi.prod.yaml, the production example: it turns every option on, is a valid stack config once
 * the Gemini secret is set, and the program runs under mocks with it, within the policy pack.
 */
import { readFileSync } from 'node:fs';
import { loadConfig } from '@annot/config';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONFIG_KEYS } from '../../src/config-keys.ts';
import { packViolations } from '../support/policy.ts';
import { GEMINI_KEY, PROJECT, type ProgramRun, runProgram } from '../support/program.ts';
import { containerEnv, ofType, one, T } from '../support/resources.ts';

// A flat `config:` map of `namespace:key: value` lines is all the stack file holds.
const entries: Record<string, string> = Object.fromEntries(
  readFileSync(new URL('../../../Pulumi.prod.yaml', import.meta.url), 'utf8')
    .split('\n')
    .map((line) => /^ {2}([\w-]+:\w+): "?([^"]*)"?$/.exec(line))
    .filter((match) => match !== null)
    .map((match) => [match[1]!, match[2]!]),
);
const projectConfig = Object.fromEntries(
  Object.entries(entries)
    .filter(([key]) => key.startsWith(`${PROJECT}:`))
    .map(([key, value]) => [key.slice(PROJECT.length + 1), value]),
);

let run: ProgramRun;
beforeAll(async () => {
  run = await runProgram({
    stack: 'prod',
    region: entries['aws:region'],
    config: { ...projectConfig, geminiApiKey: GEMINI_KEY },
  });
});

describe('Pulumi.prod.yaml', () => {
  it('only sets keys the program reads', () => {
    const known = CONFIG_KEYS.map((k) => k.key as string);
    for (const key of Object.keys(projectConfig)) expect(known).toContain(key);
  });

  it('turns every option on: each enable* switch, the replicas, HTTPS, alarms, production', () => {
    const switches = CONFIG_KEYS.map((k) => k.key as string).filter((key) => key.startsWith('enable'));
    expect(switches).toEqual(expect.arrayContaining(['enableWaf', 'enableCloudFront', 'enableCache']));
    for (const key of switches) expect(projectConfig[key], key).toBe('true');
    expect(Number(projectConfig.readReplicaCount)).toBeGreaterThan(0);
    expect(projectConfig.natGatewayPerAz).toBe('true');
    expect(projectConfig).toMatchObject({ production: 'true' });
    expect(projectConfig.certificateArn).toMatch(/^arn:aws:acm:/);
    expect(projectConfig.alarmEmail).toContain('@');
  });

  it('runs under mocks and creates every option’s resources', () => {
    expect(run.unexpected).toEqual([]);
    expect(one(run.resources, T.replicationGroup).inputs.engine).toBe('valkey');
    expect(ofType(run.resources, T.rds).filter((r) => r.inputs.replicateSourceDb)).toHaveLength(
      Number(projectConfig.readReplicaCount),
    );
    expect(
      one(run.resources, T.distribution).inputs.orderedCacheBehaviors.map(
        (b: { pathPattern: string }) => b.pathPattern,
      ),
    ).toEqual(['/static/*', '/gallery', 'thumbnails/*']);
    expect(one(run.resources, T.webAcl).inputs.scope).toBe('CLOUDFRONT');
    expect(ofType(run.resources, T.topic)).toHaveLength(1);
    expect(run.outputs.galleryUrl?.value).toMatch(/^https:\/\/[^/]+\.cloudfront\.net\/gallery$/);
  });

  it('gives the web tier settings the app accepts, with every option’s setting', () => {
    const env = containerEnv(one(run.resources, T.launchTemplate));
    const config = loadConfig(env);
    expect(config.redis?.url).toMatch(/^rediss:\/\//);
    expect(config.database.kind === 'mysql' && config.database.replica?.host).toBeTruthy();
    expect(config.server.publicOrigin).toMatch(/^https:\/\/.+\.cloudfront\.net$/);
  });

  it('passes the policy pack', () => {
    expect(packViolations(run.resources)).toEqual([]);
  });
});
