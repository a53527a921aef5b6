// Vocabulary for realistic seed rows: the names cameras, phones and people give files, and the
// parts of a typical Gemini description (3 to 5 sentences, about 130 to 310 characters).

export const FILENAME_PATTERNS: readonly ((n: number, pick: <T>(list: readonly T[]) => T) => string)[] = [
  (n) =>
    `IMG_2025${pad(1 + (n % 12))}${pad(1 + (n % 28))}_${pad(n % 24)}${pad(n % 60)}${pad((n * 7) % 60)}.jpg`,
  (n) => `DSC0${String(1000 + (n % 9000))}.JPG`,
  (n) => `PXL_2025${pad(1 + (n % 12))}${pad(1 + (n % 28))}_${String(100000000 + n * 37).slice(0, 9)}.jpg`,
  (n) =>
    `Screenshot 2025-${pad(1 + (n % 12))}-${pad(1 + (n % 28))} at ${n % 24}.${pad(n % 60)}.${pad((n * 3) % 60)}.png`,
  (n, pick) => `${pick(PLACES)} ${pick(SUBJECTS)} ${1 + (n % 40)}.jpeg`,
  (n, pick) => `${pick(SUBJECTS).replaceAll(' ', '_')}-${n % 500}.webp`,
  (n) => `photo (${1 + (n % 9)}).jpg`,
  (_n, pick) => `Café terrasse — ${pick(PLACES)}.jpg`,
  (n) => `scan_${String(n % 100000).padStart(5, '0')}.png`,
  (n, pick) => `${pick(SUBJECTS)} loop ${n % 30}.gif`,
];

export const PLACES = [
  'Lyon',
  'Kyoto',
  'Lisbon',
  'Reykjavík',
  'Cape Town',
  'Oaxaca',
  'Tromsø',
  'Hanoi',
  'Yosemite',
  'Dolomites',
] as const;

export const SUBJECTS = [
  'golden retriever',
  'sunflower field',
  'harbour at dusk',
  'birthday cake',
  'mountain lake',
  'city skyline',
  'tabby cat',
  'vintage bicycle',
  'street market',
  'snowy forest',
  'coffee cup',
  'red tram',
] as const;

const OPENINGS = [
  'A close-up photograph of',
  'A wide landscape shot showing',
  'An indoor photo of',
  'A candid street photograph of',
  'A brightly lit image of',
  'A black-and-white picture of',
] as const;

const DETAILS = [
  'The foreground is sharp while the background falls into a soft blur.',
  'Warm evening light casts long shadows across the scene.',
  'Several people in light jackets walk past on the left.',
  'Colourful buildings with wooden shutters line the far side.',
  'The sky is overcast, giving the colours a muted, even tone.',
  'A few leaves and small stones are scattered on the ground.',
  'Reflections shimmer on the wet pavement after the rain.',
  'The composition places the subject slightly right of centre.',
  'Fine textures are visible in the fabric and the wood grain.',
] as const;

const CLOSINGS = [
  'The overall mood is calm and relaxed.',
  'It looks like a casual snapshot taken on a phone.',
  'Nothing in the image appears to be text or a logo.',
  'The scene suggests late summer.',
  'It would suit a travel blog or a family album.',
] as const;

export const FAILURES = {
  thumbnail: [
    'Input image exceeds the pixel limit of 60000000 pixels',
    'Corrupt image: VipsJpeg: premature end of JPEG file',
    'Unsupported image format: the decoder could not read the file',
  ],
  annotation: [
    'Gemini blocked the request: finishReason SAFETY',
    'Gemini returned no text after 4 attempts (last status 503)',
    'Image could not be decoded for annotation',
  ],
} as const;

export function annotationText(n: number, pick: <T>(list: readonly T[]) => T): string {
  const sentences = [`${pick(OPENINGS)} a ${pick(SUBJECTS)} in ${pick(PLACES)}.`];
  const details = 1 + (n % 3);
  for (let i = 0; i < details; i++) sentences.push(pick(DETAILS));
  sentences.push(pick(CLOSINGS));
  return sentences.join(' ');
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}
