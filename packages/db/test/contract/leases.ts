import { describe, expect, it } from 'vitest';
import { InvalidImageInputError } from '../../src/index.ts';
import { type Context, newKey, pending } from '../helpers.ts';

const LEASE_MS = 90_000;

export function leaseContract(ctx: Context): void {
  describe('stage leases', () => {
    const claim = (
      originalKey: string,
      stage: 'thumbnail' | 'annotation' = 'thumbnail',
      leaseMs = LEASE_MS,
    ) => ctx.repo.claimStage({ originalKey, stage, leaseMs });

    it('gives the first claim the stage and refuses the next while it holds, until it is released', async () => {
      ctx.clock.ms = Date.UTC(2025, 3, 1);
      const key = newKey();
      await ctx.repo.createPending(pending(key));

      const first = await claim(key);
      expect(first).toEqual({
        originalKey: key,
        stage: 'thumbnail',
        token: expect.stringMatching(/^[0-9a-f-]{36}$/),
        expiresAt: new Date(Date.UTC(2025, 3, 1) + LEASE_MS),
      });
      ctx.clock.ms += LEASE_MS - 1;
      expect(await claim(key)).toBeNull();

      await ctx.repo.releaseStage(first!);
      const second = await claim(key);
      expect(second).not.toBeNull();
      expect(second?.token).not.toBe(first?.token);
    });

    it('lets a claim take a lease that has run out (its holder died), and the old holder cannot free it', async () => {
      ctx.clock.ms = Date.UTC(2025, 3, 2);
      const key = newKey();
      await ctx.repo.createPending(pending(key));
      const dead = await claim(key, 'annotation', 1000);
      expect(dead).not.toBeNull();

      ctx.clock.ms += 999;
      expect(await claim(key, 'annotation')).toBeNull();
      ctx.clock.ms += 1; // the lease ends at exactly its expiry
      const later = await claim(key, 'annotation');
      expect(later).not.toBeNull();

      // The first holder wakes up and releases: the later claim still holds.
      await ctx.repo.releaseStage(dead!);
      expect(await claim(key, 'annotation')).toBeNull();
      await ctx.repo.releaseStage(later!);
      expect(await claim(key, 'annotation')).not.toBeNull();
    });

    it('holds each stage separately', async () => {
      const key = newKey();
      await ctx.repo.createPending(pending(key));
      expect(await claim(key, 'thumbnail')).not.toBeNull();
      expect(await claim(key, 'annotation')).not.toBeNull();
      expect(await claim(key, 'thumbnail')).toBeNull();
      expect(await claim(key, 'annotation')).toBeNull();
    });

    it('gives exactly one of many simultaneous claims the stage', async () => {
      const key = newKey();
      await ctx.repo.createPending(pending(key));
      const claims = await Promise.all(Array.from({ length: 8 }, () => claim(key)));
      expect(claims.filter((c) => c !== null)).toHaveLength(1);
    });

    it('cannot claim a row that does not exist, and creates none', async () => {
      const key = newKey();
      expect(await claim(key)).toBeNull();
      await ctx.repo.createPending(pending(key));
      await ctx.repo.deleteByOriginalKey(key);
      expect(await claim(key)).toBeNull();
      expect(await ctx.repo.getByOriginalKey(key)).toBeNull();
    });

    it('changes nothing a reader sees, not even updated_at', async () => {
      ctx.clock.ms = Date.UTC(2025, 3, 3);
      const key = newKey();
      const row = await ctx.repo.createPending(pending(key));
      ctx.clock.ms += 5000;
      const held = await claim(key);
      expect(await ctx.repo.getByOriginalKey(key)).toEqual(row);
      await ctx.repo.releaseStage(held!);
      expect(await ctx.repo.getByOriginalKey(key)).toEqual(row);
      expect((await ctx.repo.statuses([row.id]))[0]?.updatedAt).toEqual(row.updatedAt);
    });

    it('a recorded result or failure does not free the lease; its release does', async () => {
      const key = newKey();
      await ctx.repo.createPending(pending(key));
      const held = await claim(key, 'annotation');
      await ctx.repo.markFailed({ originalKey: key, stage: 'annotation', reason: 'blocked' });
      expect(await claim(key, 'annotation')).toBeNull();
      await ctx.repo.releaseStage(held!);
      expect(await claim(key, 'annotation')).not.toBeNull();
    });

    it.each([1, 86_400_000])(
      'takes a lease of %s ms, the shortest and the longest allowed',
      async (leaseMs) => {
        ctx.clock.ms = Date.UTC(2025, 3, 4);
        const key = newKey();
        await ctx.repo.createPending(pending(key));
        expect((await claim(key, 'thumbnail', leaseMs))?.expiresAt).toEqual(
          new Date(Date.UTC(2025, 3, 4) + leaseMs),
        );
      },
    );

    it.each([0, -1, 1.5, Number.NaN, 86_400_001])('refuses the lease length %s', async (leaseMs) => {
      await expect(claim(newKey(), 'thumbnail', leaseMs)).rejects.toThrow(InvalidImageInputError);
    });
  });
}
