export * from './edge-limits.ts';
export * from './errors.ts';
export * from './gemini-limits.ts';
export * from './load.ts';
export * from './secrets.ts';
export * from './settings.ts';
