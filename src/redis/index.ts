export * from './codes.js';
export * from './keys.js';
export * from './scripts.js';
export * from './connection.js';
export * from './engine.js';
export * from './batcher.js';
