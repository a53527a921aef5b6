import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { buildObjectCreatedEvent, LocalEventBus, objectCreatedPattern } from '../src/index.ts';

describe('LocalEventBus', () => {
  it('delivers a matching event to every subscribed target, and nothing else', async () => {
    const bus = new LocalEventBus();
    const seen: string[] = [];
    bus.subscribe(
      'thumbnailer',
      objectCreatedPattern('originals'),
      async () => void seen.push('thumbnailer'),
    );
    bus.subscribe('annotator', objectCreatedPattern('originals'), async () => void seen.push('annotator'));
    bus.subscribe('other', objectCreatedPattern('elsewhere'), async () => void seen.push('other'));

    const targets = bus.publish(buildObjectCreatedEvent({ bucket: 'originals', key: 'uploads/a/b.jpg' }));
    await bus.drain();

    expect(targets).toEqual(['thumbnailer', 'annotator']);
    expect(seen.sort()).toEqual(['annotator', 'thumbnailer']);
  });

  it('retries a failing target, then records a dead letter', async () => {
    const errors: number[] = [];
    const bus = new LocalEventBus({
      maxAttempts: 3,
      retryBaseMs: 1,
      onError: ({ attempt }) => void errors.push(attempt),
    });
    let calls = 0;
    bus.subscribe('flaky', objectCreatedPattern('originals'), async () => {
      calls++;
      throw new Error('boom');
    });
    bus.publish(buildObjectCreatedEvent({ bucket: 'originals', key: 'uploads/a/b.jpg' }));
    await bus.drain();
    expect(calls).toBe(3);
    expect(errors).toEqual([1, 2, 3]);
    expect(bus.deadLetters).toHaveLength(1);
    expect(bus.deadLetters[0]?.target).toBe('flaky');
  });

  it('succeeds on a retry without a dead letter', async () => {
    const bus = new LocalEventBus({ retryBaseMs: 1 });
    let calls = 0;
    bus.subscribe('once-flaky', objectCreatedPattern('originals'), async () => {
      if (++calls === 1) throw new Error('transient');
    });
    bus.publish(buildObjectCreatedEvent({ bucket: 'originals', key: 'uploads/a/b.jpg' }));
    await bus.drain();
    expect(calls).toBe(2);
    expect(bus.deadLetters).toHaveLength(0);
  });

  it('gives each target its own copy of the event', async () => {
    const bus = new LocalEventBus();
    const received: unknown[] = [];
    bus.subscribe('mutator', objectCreatedPattern('originals'), async (e) => {
      (e as { id: string }).id = 'changed';
    });
    bus.subscribe('reader', objectCreatedPattern('originals'), async (e) => void received.push(e));
    const event = buildObjectCreatedEvent({ bucket: 'originals', key: 'uploads/a/b.jpg', id: 'original-id' });
    bus.publish(event);
    await bus.drain();
    expect((received[0] as { id: string }).id).toBe('original-id');
  });
});

describe('LocalEventBus concurrency', () => {
  const event = (n: number) => buildObjectCreatedEvent({ bucket: 'originals', key: `uploads/${n}/x.jpg` });

  it('runs at most `concurrency` handlers at once over all targets, queues the rest, and drops nothing', async () => {
    const bus = new LocalEventBus({ concurrency: 3 });
    let running = 0;
    let most = 0;
    const done: string[] = [];
    for (const target of ['thumbnailer', 'annotator']) {
      bus.subscribe(target, objectCreatedPattern('originals'), async (e) => {
        running++;
        most = Math.max(most, running);
        await sleep(5 + Math.random() * 10);
        running--;
        done.push(`${target} ${(e as { detail: { object: { key: string } } }).detail.object.key}`);
      });
    }
    for (let n = 0; n < 10; n++) bus.publish(event(n));
    expect(bus.running).toBe(3);
    await bus.drain();

    expect(bus.running).toBe(0);
    expect(most).toBe(3);
    expect(done).toHaveLength(20);
    expect(new Set(done).size).toBe(20);
    expect(bus.deadLetters).toEqual([]);
  });

  it('starts queued deliveries in the order they were published', async () => {
    const bus = new LocalEventBus({ concurrency: 1 });
    const order: number[] = [];
    bus.subscribe('only', objectCreatedPattern('originals'), async (e) => {
      await sleep(1);
      order.push(Number((e as { detail: { object: { key: string } } }).detail.object.key.split('/')[1]));
    });
    for (let n = 0; n < 5; n++) bus.publish(event(n));
    await bus.drain();
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });

  it('holds no place during a retry backoff: another delivery runs meanwhile', async () => {
    const bus = new LocalEventBus({ concurrency: 1, retryBaseMs: 100 });
    const log: string[] = [];
    let attempts = 0;
    bus.subscribe('flaky', { detail: { object: { key: [{ prefix: 'uploads/0/' }] } } }, async () => {
      log.push(`flaky ${++attempts}`);
      if (attempts === 1) throw new Error('transient');
    });
    bus.subscribe('steady', { detail: { object: { key: [{ prefix: 'uploads/1/' }] } } }, async () => {
      log.push('steady');
    });
    bus.publish(event(0));
    bus.publish(event(1));
    await bus.drain();
    expect(log).toEqual(['flaky 1', 'steady', 'flaky 2']);
  });

  it('refuses a cap below one', () => {
    expect(() => new LocalEventBus({ concurrency: 0 })).toThrow(RangeError);
  });
});
