/**
 * Names for colours, so the local annotator can say "green and white" instead of RGB triples. The
 * rules work in hue/lightness space and give the broad names people use for a photo's colours.
 */

export type ColourName =
  | 'black'
  | 'white'
  | 'grey'
  | 'red'
  | 'pink'
  | 'orange'
  | 'brown'
  | 'yellow'
  | 'olive'
  | 'green'
  | 'teal'
  | 'blue'
  | 'purple';

/** The broad name of an sRGB colour (0-255 per channel). */
export function colourName(r: number, g: number, b: number): ColourName {
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const lightness = (max + min) / 510;
  const chroma = (max - min) / 255;
  if (lightness < 0.08) return 'black';
  // HSL saturation: chroma relative to the most a colour of this lightness can have, so a dark
  // forest green counts as green, not grey, while a faintly tinted grey stays grey.
  const saturation = chroma / (1 - Math.abs(2 * lightness - 1));
  if (chroma < 0.05 || saturation < 0.18) {
    if (lightness > 0.85) return 'white';
    if (lightness < 0.22) return 'black';
    return 'grey';
  }
  const hue = hueOf(r, g, b, max, chroma * 255);
  if (hue < 15 || hue >= 340) {
    if (lightness > 0.72) return 'pink';
    return lightness < 0.3 && saturation < 0.5 ? 'brown' : 'red';
  }
  if (hue < 45) return lightness < 0.42 || saturation < 0.45 ? 'brown' : 'orange';
  if (hue < 70) return lightness < 0.35 ? 'olive' : 'yellow';
  if (hue < 165) return 'green';
  if (hue < 195) return 'teal';
  if (hue < 260) return 'blue';
  if (hue < 300) return 'purple';
  return lightness > 0.6 ? 'pink' : 'purple';
}

function hueOf(r: number, g: number, b: number, max: number, delta: number): number {
  let hue: number;
  if (max === r) hue = ((g - b) / delta) % 6;
  else if (max === g) hue = (b - r) / delta + 2;
  else hue = (r - g) / delta + 4;
  return (hue * 60 + 360) % 360;
}

export interface ColourShare {
  readonly name: ColourName;
  /** Share of the opaque pixels, 0-1. */
  readonly share: number;
}

export interface Palette {
  /** Colours of the visible pixels by share, largest first. */
  readonly colours: ColourShare[];
  /** Share of all pixels that are fully (or all but) transparent, 0-1. */
  readonly transparentShare: number;
  /** Share of all pixels that are partly transparent, 0-1. */
  readonly translucentShare: number;
}

/** Alpha below this is invisible; at or above OPAQUE it is solid. */
const INVISIBLE = 8;
const OPAQUE = 248;

/**
 * Counts named colours over raw RGBA pixels. Invisible pixels are left out of the colour shares
 * and counted as transparent; partly transparent ones count in both.
 */
export function paletteOf(rgba: Uint8Array): Palette {
  const counts = new Map<ColourName, number>();
  const pixels = Math.floor(rgba.length / 4);
  let transparent = 0;
  let translucent = 0;
  for (let i = 0; i < pixels * 4; i += 4) {
    const alpha = rgba[i + 3]!;
    if (alpha < INVISIBLE) {
      transparent++;
      continue;
    }
    if (alpha < OPAQUE) translucent++;
    const name = colourName(rgba[i]!, rgba[i + 1]!, rgba[i + 2]!);
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  const visible = pixels - transparent;
  const colours = [...counts]
    .map(([name, count]) => ({ name, share: count / visible }))
    .sort((a, b) => b.share - a.share);
  return {
    colours,
    transparentShare: pixels === 0 ? 0 : transparent / pixels,
    translucentShare: pixels === 0 ? 0 : translucent / pixels,
  };
}
