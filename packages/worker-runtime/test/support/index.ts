// Test helpers for the worker packages' own tests, exported as `@annot/worker-runtime/testing`.
// They live under test/, outside src/, so runtime code cannot import them (the Lambda bundles do
// not contain them); they need @annot/testing and vitest, this package's devDependencies.
export * from './backends.ts';
export * from './lambda.ts';
export * from './recording-logger.ts';
export * from './uploads.ts';
export * from './watched-store.ts';
