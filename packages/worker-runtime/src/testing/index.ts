// Test helpers for the worker packages' own tests; never imported by runtime code (the Lambda
// bundles do not contain them). They need @annot/testing and vitest, which only tests install.
export * from './backends.ts';
export * from './lambda.ts';
export * from './recording-logger.ts';
export * from './uploads.ts';
