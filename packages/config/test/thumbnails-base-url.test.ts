import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/index.ts';

const cwd = '/srv/app';
const S3 = { ORIGINALS_BUCKET: 'acme-originals', THUMBNAILS_BUCKET: 'acme-thumbnails' };

const baseUrlOf = (env: Record<string, string>) => loadConfig(env, cwd).storage.thumbnailsBaseUrl;

function errorOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env, cwd);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('THUMBNAILS_BASE_URL', () => {
  it('is unset by default, for S3 and the directory adapter alike', () => {
    expect(baseUrlOf({})).toBeUndefined();
    expect(baseUrlOf(S3)).toBeUndefined();
    expect(baseUrlOf({ THUMBNAILS_BASE_URL: '' })).toBeUndefined();
  });

  it('accepts a CloudFront domain as given', () => {
    const url = 'https://d111111abcdef8.cloudfront.net';
    expect(baseUrlOf({ ...S3, THUMBNAILS_BASE_URL: url })).toBe(url);
    expect(loadConfig({ ...S3, THUMBNAILS_BASE_URL: url }, cwd).storage).toMatchObject({
      kind: 's3',
      thumbnailsBucket: 'acme-thumbnails',
      thumbnailsBaseUrl: url,
    });
  });

  it.each([
    ['https://cdn.example.com/', 'https://cdn.example.com'],
    ['https://cdn.example.com/thumbs/', 'https://cdn.example.com/thumbs'],
    ['https://cdn.example.com/thumbs//', 'https://cdn.example.com/thumbs'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['  https://cdn.example.com  ', 'https://cdn.example.com'],
  ])('keeps %j as %j, so <base>/<key> never has a double slash', (given, kept) => {
    expect(baseUrlOf({ THUMBNAILS_BASE_URL: given })).toBe(kept);
  });

  it.each([
    'cdn.example.com',
    'https:cdn.example.com',
    'ftp://cdn.example.com',
    'https://cdn.example.com/?v=1',
    'https://cdn.example.com/#top',
    'https://user:pw@cdn.example.com',
    'not a url',
  ])('refuses %j, naming the variable', (given) => {
    const error = errorOf({ ...S3, THUMBNAILS_BASE_URL: given });
    expect(error.variables).toEqual(['THUMBNAILS_BASE_URL']);
    expect(error.message).toContain('THUMBNAILS_BASE_URL');
    expect(error.message).toContain('expected an http:// or https:// URL');
  });
});
