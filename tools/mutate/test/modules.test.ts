import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MODULES, root } from '../src/modules.ts';

describe('the mutation-testing modules', () => {
  it.each(MODULES.map((m) => [m.name, m] as const))(
    '%s: its config mutates exactly the files listed',
    async (name, module) => {
      const dir = path.join(root, module.dir);
      const { default: config } = (await import(path.join(dir, `stryker.${name}.config.mjs`))) as {
        default: { mutate: string[]; vitest: { configFile?: string }; jsonReporter: { fileName: string } };
      };
      // A config may mutate a line range of a file (`src/x.ts:10-20`); --changed watches the file.
      expect(config.mutate.map((f) => `${module.dir}/${f.replace(/:\d+-\d+$/, '')}`)).toEqual(module.files);
      for (const file of module.files) expect(existsSync(path.join(root, file)), file).toBe(true);
      if (config.vitest.configFile) expect(existsSync(path.join(dir, config.vitest.configFile))).toBe(true);
      // Reports land where `pnpm mutate` reads them, outside git.
      expect(path.resolve(dir, config.jsonReporter.fileName)).toBe(
        path.join(root, '.stryker', name, 'report.json'),
      );
    },
  );
});
