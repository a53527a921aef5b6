import { describe, expect, it } from 'vitest';
import { createVisionAnnotator, VISION_FALLBACK_MODEL } from '../src/index.ts';
import { checkedFixture } from './support.ts';

// A file of its own: @vladmandic/human keeps loaded models per process, so this must run before
// (and apart from) a successful load.
describe('when a model cannot load', () => {
  it('falls back to the facts-only analyser, and says so in the log and the model name', async () => {
    const warnings: string[] = [];
    const annotator = createVisionAnnotator({
      maxInputPixels: 60_000_000,
      minLabelConfidence: 0.35,
      minTextConfidence: 0.8,
      sensitiveThreshold: 0.7,
      modelPaths: { humanModels: '/nonexistent/human-models' },
      warn: (message) => warnings.push(message),
    });
    expect(await annotator.ready()).toBe(false);
    expect(annotator.model).toBe(VISION_FALLBACK_MODEL);
    expect(warnings).toEqual([expect.stringMatching(/^Vision models did not load; .*centernet/)]);
    const found = await annotator.describe(await checkedFixture('Landscape_1.jpg'));
    expect(found.annotation).toMatch(/^Local analysis \(no AI model\): a 600x450 landscape JPEG image\./);
    expect(found.tags).toBeUndefined();
  });
});
