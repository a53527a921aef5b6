import { readFile } from 'node:fs/promises';
import { loadConfig } from '@annot/config';
import { fixturePath } from '@annot/testing';
import { type CheckedImage, checkOriginal } from '@annot/worker-runtime';
import sharp from 'sharp';
import { type AnnotatorSettings, annotatorSettings } from '../src/index.ts';

export async function fixtureBytes(name: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(fixturePath(name)));
}

/** The annotator settings the platform would load from this environment (as lambda.ts builds them). */
export function settingsFrom(env: Record<string, string>): AnnotatorSettings {
  return annotatorSettings(loadConfig(env));
}

/** A fixture as the stage runner hands it to an annotator: checked (accepted format, whole). */
export async function checkedFixture(name: string): Promise<CheckedImage> {
  return checkOriginal(await fixtureBytes(name));
}

/** The environment that points Gemini at a loopback server, with delays small enough for tests. */
export function geminiTestEnv(baseUrl: string): Record<string, string> {
  return {
    GEMINI_API_KEY: 'test-key',
    GEMINI_BASE_URL: baseUrl,
    GEMINI_RETRY_BASE_MS: '5',
    GEMINI_TIMEOUT_MS: '2000',
    GEMINI_MAX_ATTEMPTS: '3',
  };
}

/** Gemini settings pointed at a loopback server (see geminiTestEnv); `env` overrides. */
export function geminiSettings(baseUrl: string, env: Record<string, string> = {}): AnnotatorSettings {
  return settingsFrom({ ...geminiTestEnv(baseUrl), ...env });
}

/** Decodes an image and reports what it really is. */
export async function decoded(bytes: Uint8Array) {
  const { format, width, height, channels, space } = await sharp(bytes).metadata();
  return { format, width, height, channels, space };
}

/**
 * A square JPEG (quality 95) of random noise, the worst case for compression: what a noisy photo
 * at the limits looks like to the encoder.
 */
export async function noisyJpeg(size: number): Promise<Uint8Array> {
  const raw = Buffer.alloc(size * size * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = Math.floor(Math.random() * 256);
  const jpeg = await sharp(raw, { raw: { width: size, height: size, channels: 3 } })
    .jpeg({ quality: 95 })
    .toBuffer();
  return new Uint8Array(jpeg);
}
