export * from './local-bus.ts';
export * from './object-created.ts';
export * from './pattern.ts';
export * from './stage-requested.ts';
