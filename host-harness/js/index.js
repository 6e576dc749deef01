// order-messages-host: the order-messages addon component in Node, through jco.
// The API is described in index.d.ts and README.md.

export {
  AddonError,
  AddonFault,
  ArgumentError,
  DeliveryError,
  DirectoryError,
  GuestExit,
  ReentrantCallError,
  StorageError,
  UnsafeIntegerError,
} from './src/errors.js';
export { MemoryStore, compareKeys } from './src/memory-store.js';
export { ConformanceFailure, checkStore, conformanceCases, runCase } from './src/conformance.js';
