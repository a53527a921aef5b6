// `pnpm mutate [module ...] [--changed[=<git ref>]] [--force] [--report]`: mutation testing (StrykerJS) of the
// critical paths, one module at a time, each against its own package's tests. See MUTATION.md.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { MODULES, type Module, root } from './modules.ts';

interface Counts {
  killed: number;
  timeout: number;
  survived: number;
  noCoverage: number;
  /** Static mutants a module skips (ignoreStatic): not in the score. */
  ignored: number;
  other: number;
}

/** Stryker's own score: detected (killed or timed out) over valid (detected, survived, not covered). */
function score(c: Counts): number {
  const valid = c.killed + c.timeout + c.survived + c.noCoverage;
  return valid === 0 ? 100 : (100 * (c.killed + c.timeout)) / valid;
}

function countsOf(reportFile: string): { total: Counts; files: Map<string, Counts> } {
  const report = JSON.parse(readFileSync(reportFile, 'utf8')) as {
    files: Record<string, { mutants: { status: string }[] }>;
  };
  const empty = (): Counts => ({ killed: 0, timeout: 0, survived: 0, noCoverage: 0, ignored: 0, other: 0 });
  const total = empty();
  const files = new Map<string, Counts>();
  for (const [file, { mutants }] of Object.entries(report.files)) {
    const counts = empty();
    for (const { status } of mutants) {
      const key =
        status === 'Killed'
          ? 'killed'
          : status === 'Timeout'
            ? 'timeout'
            : status === 'Survived'
              ? 'survived'
              : status === 'NoCoverage'
                ? 'noCoverage'
                : status === 'Ignored'
                  ? 'ignored'
                  : 'other';
      counts[key]++;
      total[key]++;
    }
    files.set(file, counts);
  }
  return { total, files };
}

function changedModules(base: string): Module[] {
  const changed = new Set(
    execFileSync('git', ['diff', '--name-only', `${base}...HEAD`], { cwd: root, encoding: 'utf8' })
      .split('\n')
      .concat(
        execFileSync('git', ['diff', '--name-only', 'HEAD'], { cwd: root, encoding: 'utf8' }).split('\n'),
      )
      .filter(Boolean),
  );
  // A module is run when one of its mutated files changed, or one of its package's tests did.
  return MODULES.filter(
    (m) => m.files.some((f) => changed.has(f)) || [...changed].some((f) => f.startsWith(`${m.dir}/test/`)),
  );
}

function main(args: readonly string[]): number {
  const force = args.includes('--force');
  // --report: the table of the last run of each module, from .stryker/, without running anything.
  const reportOnly = args.includes('--report');
  const changedArg = args.find((a) => a === '--changed' || a.startsWith('--changed='));
  const names = args.filter((a) => !a.startsWith('--'));
  const unknown = names.filter((n) => !MODULES.some((m) => m.name === n));
  if (unknown.length > 0) {
    console.error(
      `unknown module(s): ${unknown.join(', ')}; the modules are ${MODULES.map((m) => m.name).join(', ')}`,
    );
    return 2;
  }
  let modules = names.length > 0 ? MODULES.filter((m) => names.includes(m.name)) : [...MODULES];
  if (changedArg) {
    const base = changedArg.includes('=') ? changedArg.slice('--changed='.length) : 'origin/main';
    const touched = new Set(changedModules(base).map((m) => m.name));
    modules = modules.filter((m) => touched.has(m.name));
    if (modules.length === 0) {
      console.log(`mutate: no scoped module changed since ${base}; nothing to do`);
      return 0;
    }
  }

  const [load1] = os.loadavg();
  console.log(
    `mutate: ${modules.map((m) => m.name).join(', ')} on ${os.cpus().length} cores, load ${load1?.toFixed(2)}`,
  );
  const rows: string[] = [];
  let failed = false;
  const started = performance.now();
  for (const module of modules) {
    const config = `stryker.${module.name}.config.mjs`;
    const out = path.join(root, '.stryker', module.name);
    mkdirSync(out, { recursive: true });
    const timeFile = path.join(out, 'seconds.json');
    let seconds: number;
    if (reportOnly) {
      seconds = existsSync(timeFile) ? (JSON.parse(readFileSync(timeFile, 'utf8')) as number) : Number.NaN;
    } else {
      const t0 = performance.now();
      const run = spawnSync('pnpm', ['exec', 'stryker', 'run', config, ...(force ? ['--force'] : [])], {
        cwd: path.join(root, module.dir),
        stdio: 'inherit',
      });
      seconds = (performance.now() - t0) / 1000;
      if (run.status !== 0) {
        console.error(`mutate: ${module.name} did not finish (exit ${run.status})`);
        failed = true;
        continue;
      }
      writeFileSync(timeFile, JSON.stringify(seconds));
    }
    const reportFile = path.join(out, 'report.json');
    if (!existsSync(reportFile)) {
      console.error(`mutate: ${module.name} has no report (${path.relative(root, reportFile)})`);
      failed = true;
      continue;
    }
    const { total, files } = countsOf(reportFile);
    const line = (name: string, c: Counts, time: string) =>
      `| ${name} | ${score(c).toFixed(1)} % | ${c.killed + c.timeout} | ${c.survived} | ${c.noCoverage} | ${c.ignored} | ${time} |`;
    rows.push(line(`**${module.name}**`, total, `${Math.round(seconds)} s`));
    for (const [file, counts] of [...files].sort()) rows.push(line(`${module.dir}/${file}`, counts, ''));
  }
  const summary = [
    `Mutation testing, ${new Date().toISOString().slice(0, 16)} UTC, ${Math.round((performance.now() - started) / 1000)} s in all (load ${load1?.toFixed(2)} at start; incremental runs reuse earlier results):`,
    '',
    '| module / file | score | killed | survived | no coverage | ignored (static) | run time |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
  writeFileSync(path.join(root, '.stryker', 'summary.md'), `${summary}\n`);
  console.log(`\n${summary}\n\n(also in .stryker/summary.md)`);
  return failed ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
