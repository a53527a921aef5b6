/**
 * The instruction sent with every image, alongside the response schema (gemini-response.ts). It
 * asks for what a gallery visitor finds useful (a short caption, tags for the things and the scene,
 * any legible text) and rules out guesses about who people are, which an annotation must never contain.
 */
export const DESCRIBE_PROMPT = [
  'Annotate this image for a photo gallery, as JSON.',
  'caption: one or two sentences of plain prose saying what the main subject is, the setting and any notable details.',
  'tags: up to 20 short lowercase labels for the objects, animals, scene and kind of image (photo, drawing, screenshot),',
  'each with a confidence from 0 to 1; leave out anything you are unsure of.',
  'textInImage: all clearly legible text in the image, verbatim, or null when there is none.',
  'Describe only what is visible. Do not identify or guess who any person is, and do not speculate about',
  "people's names, ages, ethnicity or other personal attributes.",
].join(' ');
