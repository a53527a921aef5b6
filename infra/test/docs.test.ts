import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderReadme } from '../scripts/update-readme.ts';
import { parseStackConfig } from '../src/config.ts';
import { CONFIG_KEYS } from '../src/config-keys.ts';
import { configSource } from './support/config-source.ts';
import { runProgram } from './support/program.ts';

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');
const PROJECT = 'image-annotation-platform';

describe('README.md (deployment section)', () => {
  const readme = read('../../README.md');

  it('holds the stack config table generated from CONFIG_KEYS (`pnpm --filter infra run readme`)', () => {
    expect(renderReadme(readme)).toBe(readme);
  });

  it.each(CONFIG_KEYS.map((k) => [k.key, k.default] as const))(
    'documents %s with its default',
    (key, value) => {
      const shown = value === undefined ? '(unset)' : `\`${value}\``;
      // The formatter pads table cells, so the row is matched with any padding.
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${key}\` `));
      expect(row?.split('|').map((cell) => cell.trim())[2]).toBe(shown);
    },
  );
});

describe('Pulumi.dev.yaml', () => {
  // A flat `config:` map of `namespace:key: value` lines is all the stack file holds.
  const entries = Object.fromEntries(
    read('../../Pulumi.dev.yaml')
      .split('\n')
      .map((line) => /^ {2}([\w-]+:\w+): "?([^"]*)"?$/.exec(line))
      .filter((match) => match !== null)
      .map((match) => [match[1]!, match[2]!]),
  );

  it('only sets keys the program reads', () => {
    const known = CONFIG_KEYS.map((k) => `${PROJECT}:${k.key}`);
    for (const key of Object.keys(entries).filter((k) => !k.startsWith('aws:'))) expect(known).toContain(key);
  });

  const parse = (secrets: Readonly<Record<string, string>>) =>
    parseStackConfig(
      configSource({
        ...Object.fromEntries(
          Object.entries(entries).map(([key, value]) => [key.replace(`${PROJECT}:`, ''), value]),
        ),
        ...secrets,
      }),
      { project: PROJECT, stack: 'dev', region: entries['aws:region'] },
    );

  it('is a valid stack config once the Gemini secret is set, as its comment says', () => {
    const config = parse({ geminiApiKey: 'set-with-pulumi-config-set-secret' });
    expect(config).toMatchObject({ region: 'us-east-1', owner: 'platform-team', production: false });
  });

  it('reserves no Lambda concurrency (accounts with a quota of 10 reject any) and runs Gemini', () => {
    const config = parse({ geminiApiKey: 'set-with-pulumi-config-set-secret' });
    expect(config.annotator.reservedConcurrency).toBeUndefined();
    expect(config.thumbnailer.reservedConcurrency).toBeUndefined();
    expect(config.annotatorChoice).toBe('gemini');
  });

  it('with annotator local, needs no secret at all', () => {
    expect(parse({ annotator: 'local' }).geminiApiKey).toBeUndefined();
  });

  it('lacks nothing but that secret', () => {
    expect(() => parse({})).toThrow(
      /^Invalid stack config:\n {2}- image-annotation-platform:geminiApiKey: [^\n]*$/,
    );
  });
});

describe('README.md (stack outputs)', () => {
  it('documents every output the program exports, the admin token secret with how to read it', async () => {
    const readme = read('../../README.md');
    const run = await runProgram({ config: { enableCloudFront: 'true' } });
    const documented = readme
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .flatMap((line) => [...(line.split('|')[1] ?? '').matchAll(/`(\w+)`/g)].map((m) => m[1]));
    for (const output of Object.keys(run.outputs)) expect(documented).toContain(output);
    expect(readme).toContain('--secret-id "$(pulumi stack output adminTokenSecretArn)"');
  });
});
