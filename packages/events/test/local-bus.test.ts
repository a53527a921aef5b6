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
