/**
 * The instruction sent with every image. It asks for what a gallery visitor finds useful (subject,
 * setting, notable details, legible text) in a fixed short form, and rules out guesses about who
 * people are, which a description must never contain.
 */
export const DESCRIBE_PROMPT = [
  'Describe this image for a photo gallery in two or three sentences of plain prose.',
  'Say what the main subject is, the setting, and any notable details, including any clearly legible text.',
  'Describe only what is visible. Do not identify or guess who any person is, and do not speculate about',
  "people's names, ages, ethnicity or other personal attributes.",
  'Reply with the description only: no preamble, no lists, no markdown.',
].join(' ');
