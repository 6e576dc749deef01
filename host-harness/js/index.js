// order-messages-host: the order-messages addon component in Node, through jco.
// The API is described in index.d.ts and README.md.

export { Addon, CompiledAddon, compileAddon, loadAddon } from './src/addon.js';
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
export {
  Actor,
  DEFAULT_LIMITS,
  DEFAULT_NOW_MILLIS,
  MARKETPLACE,
  MailCapture,
  MemoryDirectory,
  NotificationCapture,
  PinnedClock,
  createMemoryHost,
  installMarketplace,
  installPeople,
} from './src/memory-host.js';
export { ScenarioError, loadScenario, parseScenario, reportText, runScenario, scenarioFiles } from './src/scenario.js';
