import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { descendants } from '@annot/testing';
import { describe, expect, it } from 'vitest';
import { readMemory } from '../src/util/proc.ts';
import { percentile } from '../src/util/stats.ts';

describe('/proc helpers', () => {
  it('find a child process and read its memory', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10000)'], { stdio: 'ignore' });
    try {
      await once(child, 'spawn');
      expect(descendants(process.pid)).toContain(child.pid);
      const memory = readMemory(child.pid!);
      expect(memory?.rssBytes).toBeGreaterThan(1024 * 1024);
      expect(memory!.hwmBytes).toBeGreaterThanOrEqual(memory!.rssBytes);
    } finally {
      child.kill();
    }
    expect(readMemory(2 ** 22 + 1)).toBeNull();
  });
});

describe('percentile', () => {
  it('uses the nearest rank', () => {
    const values = Array.from({ length: 50 }, (_, i) => 50 - i);
    expect(percentile(values, 50)).toBe(25);
    expect(percentile(values, 99)).toBe(50);
    expect(percentile(values, 0)).toBe(1);
  });
});
