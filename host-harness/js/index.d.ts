// Type declarations of order-messages-host: the order-messages addon component (WIT package
// storefront:order-messages@0.2.0-draft, wit/v0.2.0/) in Node through jco. Records use jco's
// JavaScript shapes: camelCase fields, enums as strings, variants as `{ tag, val }`, `option`
// as a value or `undefined` (`null` accepted on the way in). Unlike jco's own declarations,
// every 64-bit value (u64, s64) is a `number`.

// ---------------------------------------------------------------------------------------------
// types.wit

export type OrderId = string;
export type UserId = string;
export type VendorId = string;
/** Milliseconds since the Unix epoch, UTC. */
export type Timestamp = number;

export type Role = { tag: 'customer' } | { tag: 'vendor'; val: VendorId } | { tag: 'admin' };

export interface Actor {
  id: UserId;
  role: Role;
  /** 1 to 100 characters, no control characters. */
  displayName: string;
}

/** Actors for each role. */
export declare const Actor: {
  customer(id: UserId, displayName: string): Actor;
  vendor(id: UserId, vendorId: VendorId, displayName: string): Actor;
  admin(id: UserId, displayName: string): Actor;
};

export type MessageKind = 'text' | 'dispute-opened' | 'dispute-closed';

export interface Message {
  orderId: OrderId;
  seq: number;
  kind: MessageKind;
  authorId: UserId;
  authorName: string;
  authorRole: Role;
  body: string;
  createdAt: Timestamp;
}

export interface BellCounts {
  unreadThreads: number;
  openDisputes: number;
}

/** The cases of the addon's `error` variant. */
export type AddonErrorKind =
  | 'not-found'
  | 'forbidden'
  | 'invalid-input'
  | 'invalid-state'
  | 'conflict'
  | 'storage'
  | 'directory';

// ---------------------------------------------------------------------------------------------
// messaging.wit

export interface PostRequest {
  orderId: OrderId;
  body: string;
  idempotencyKey?: string | null;
}

export type Direction = 'oldest-first' | 'newest-first';

export interface ThreadRequest {
  orderId: OrderId;
  direction: Direction;
  cursor?: string | null;
  limit: number;
  markRead: boolean;
}

export interface ThreadPage {
  orderId: OrderId;
  orderNumber: string;
  messages: Message[];
  nextCursor?: string;
  messageCount: number;
  unreadCount: number;
  readUpTo: number;
  disputeOpen: boolean;
}

export interface Messaging {
  post(actor: Actor, request: PostRequest): Message;
  readThread(actor: Actor, request: ThreadRequest): ThreadPage;
  unreadCount(actor: Actor, orderId: OrderId): number;
  markRead(actor: Actor, orderId: OrderId): void;
  markUnread(actor: Actor, orderId: OrderId): void;
}

// ---------------------------------------------------------------------------------------------
// inbox.wit

export type Filter = 'all' | 'unread' | 'open-disputes';
export type Sort = 'newest-first' | 'unread-first';

export interface Query {
  filter: Filter;
  search: string;
}

export interface ListRequest {
  query: Query;
  sort: Sort;
  cursor?: string | null;
  limit: number;
}

export interface LatestMessage {
  seq: number;
  kind: MessageKind;
  authorName: string;
  authorRole: Role;
  excerpt: string;
  createdAt: Timestamp;
}

export interface ThreadRow {
  orderId: OrderId;
  orderNumber: string;
  latest: LatestMessage;
  messageCount: number;
  unread: boolean;
  unreadCount: number;
  disputeOpen: boolean;
}

export interface ListPage {
  rows: ThreadRow[];
  nextCursor?: string;
}

export interface BulkResult {
  /** Threads whose read state this call changed. */
  changed: number;
  /** Pass back (with the same other arguments) to continue; `undefined` when every thread is done. */
  nextCursor?: string;
}

export interface Inbox {
  listThreads(actor: Actor, request: ListRequest): ListPage;
  bell(actor: Actor): BellCounts;
  /**
   * Marks at most 16 of the selected orders' threads per call (one commit): call again with the
   * same ids and `nextCursor` until it is `undefined`. Every id is checked on the first call.
   */
  markSelected(actor: Actor, orderIds: OrderId[], read: boolean, cursor?: string | null): BulkResult;
  markMatching(actor: Actor, query: Query, read: boolean, cursor?: string | null): BulkResult;
}

// ---------------------------------------------------------------------------------------------
// disputes.wit

export interface Party {
  id: UserId;
  name: string;
  role: Role;
}

export interface Closure {
  by: Party;
  resolution: string;
  at: Timestamp;
}

export interface Dispute {
  orderId: OrderId;
  number: number;
  openedBy: Party;
  reason: string;
  openedAt: Timestamp;
  closed?: Closure;
}

export interface Disputes {
  open(actor: Actor, orderId: OrderId, reason: string): Dispute;
  close(actor: Actor, orderId: OrderId, resolution?: string | null): Dispute;
  current(actor: Actor, orderId: OrderId): Dispute | undefined;
  history(actor: Actor, orderId: OrderId): Dispute[];
}

// ---------------------------------------------------------------------------------------------
// order-filter.wit

export type MessageFilter = 'with-messages' | 'with-unread';

export interface OrderPage {
  orderIds: OrderId[];
  nextCursor?: string;
}

export interface OrderFilter {
  filter(actor: Actor, orderIds: OrderId[], filter: MessageFilter): OrderId[];
  listOrders(actor: Actor, filter: MessageFilter, cursor: string | null | undefined, limit: number): OrderPage;
}

// ---------------------------------------------------------------------------------------------
// maintenance.wit

export interface DeliveryReport {
  /** Batches of pending work applied (other users' unread state, keyword index, outbox entries written). */
  applied: number;
  delivered: number;
  deferred: number;
  dead: number;
  /** Pending work or outbox entries remain: call again. */
  more: boolean;
}

export interface OutboxEntry {
  key: string;
  kind: 'mail' | 'notification';
  orderId: OrderId;
  recipients: UserId[];
  summary: string;
  attempts: number;
  lastError?: string;
  createdAt: Timestamp;
}

export interface Problem {
  key: string;
  detail: string;
}

export interface VerifyReport {
  checked: number;
  problems: Problem[];
  moreProblems: number;
  nextCursor?: string;
}

export interface MigrateReport {
  /** The schema version the data had before the migration began. */
  fromVersion: number;
  /** The schema version this addon writes. */
  toVersion: number;
  /** Records migrated by this call. */
  migrated: number;
  /** Pass back to continue; `undefined` when the data is upgraded. */
  nextCursor?: string;
}

export interface Maintenance {
  /** Applies pending work in bounded batches, then delivers up to `limit` (1 to 500) outbox entries; call again while `more`. */
  deliverPending(limit: number): DeliveryReport;
  /** The entries and the next cursor (WIT `tuple<list<outbox-entry>, option<string>>`). */
  listOutbox(dead: boolean, cursor: string | null | undefined, limit: number): [OutboxEntry[], string | undefined];
  verify(cursor: string | null | undefined, limit: number): VerifyReport;
  schemaVersion(): number;
  /** Upgrades data of an older addon (schema 1: the 0.1.0 addon) in place, at most `limit` (1 to 500) records a call; call again with `nextCursor` until it is `undefined`. */
  migrate(cursor: string | null | undefined, limit: number): MigrateReport;
}

// ---------------------------------------------------------------------------------------------
// The host's imports (storage.wit, mail.wit, notifications.wit, directory.wit) and the clock.
// Every method is synchronous: jco calls imports without awaiting them. To refuse a call the
// way the WIT allows, throw the matching error class; anything else thrown ends the call in an
// AddonFault.

export interface StoredEntry {
  /** Printable ASCII, at most 256 bytes (what the addon writes). */
  key: string;
  /** At most 65,536 bytes. */
  value: Uint8Array;
  /**
   * An opaque token the addon only compares for equality: every write of a key gives it a
   * version the key never had before (deletes included), e.g. a counter. Never 0; a whole
   * number from 1 to 2^53 - 1 (the wrapper refuses others).
   */
  version: number;
}

export interface Check {
  key: string;
  /** The version the key must have; `undefined`: the key must be absent. */
  version?: number;
}

export type Write = { tag: 'put'; val: { key: string; value: Uint8Array } } | { tag: 'delete'; val: string };

/** A page of a scan (storage.wit's `scan-page`). */
export interface ScanPage {
  /** In the scan direction; at most the `limit` asked. */
  entries: StoredEntry[];
  /**
   * Whether more entries may follow the last one returned. A page may be short (even empty)
   * while `more` is set; `false` only when the range is done.
   */
  more: boolean;
}

/** An ordered key-value store with versions (storage.wit). Throw `StorageError` to refuse. */
export interface Storage {
  get(key: string): StoredEntry | undefined;
  /** At most 1,024 keys; one element per key, in order. */
  getMany(keys: string[]): Array<StoredEntry | undefined>;
  /**
   * Entries whose key starts with `prefix` (literally: `%` and `_` are no wildcards), in key
   * order (descending when `reverse`), strictly after `startAfter` in the scan direction;
   * `limit` is 1 to 1,024.
   */
  scan(prefix: string, startAfter: string | undefined, limit: number, reverse: boolean): ScanPage;
  /** Atomic: every check holds against the latest committed state, or nothing is applied (`StorageError('conflict', key)`). */
  commit(checks: Check[], writes: Write[]): void;
}

export interface MailMessage {
  recipients: UserId[];
  orderId: OrderId;
  subject: string;
  textBody: string;
  htmlBody: string;
  idempotencyKey: string;
}

/** Outgoing mail (mail.wit). Throw `DeliveryError` to refuse. */
export interface Mail {
  send(message: MailMessage): void;
}

export interface NewMessageEvent {
  orderId: OrderId;
  orderNumber: string;
  seq: number;
  authorName: string;
  authorRole: Role;
  excerpt: string;
  createdAt: Timestamp;
}

export interface DisputeChange {
  orderId: OrderId;
  orderNumber: string;
  disputeNumber: number;
  byName: string;
  note: string;
  at: Timestamp;
}

/** One user's bell counts. */
export interface UserCounts {
  user: UserId;
  counts: BellCounts;
}

export type NotificationEvent =
  | { tag: 'new-message'; val: NewMessageEvent }
  | { tag: 'dispute-opened'; val: DisputeChange }
  | { tag: 'dispute-closed'; val: DisputeChange }
  /** Each recipient's new counts, one push for many users (its recipients are exactly the users listed). */
  | { tag: 'counts-changed'; val: UserCounts[] };

/** Real-time notifications (notifications.wit). Throw `DeliveryError` to refuse. */
export interface Notifications {
  push(idempotencyKey: string, recipients: UserId[], event: NotificationEvent): void;
}

export interface Order {
  id: OrderId;
  number: string;
  customerId: UserId;
  customerName: string;
  vendorId?: VendorId;
  vendorName?: string;
  status: string;
}

export type MultivendorMode = 'separate-shops' | 'warehouse';

/** Limits the addon enforces, each clamped to the addon's own ceiling. */
export interface Limits {
  /** Longest message body, in characters (ceiling 100,000; also at most 196,608 bytes of UTF-8). */
  maxBodyChars: number;
  /** Longest dispute reason or resolution note, in characters (ceiling 10,000). */
  maxReasonChars: number;
  /** Largest page any listing returns (ceiling 500). */
  maxPageSize: number;
  /** Most order ids one call may pass: order filter, bulk marking (ceiling 1,000). */
  maxOrderIds: number;
}

/**
 * When the work that follows a change runs (others' unread state and bells, the keyword index,
 * mail and notifications): `inline`, by the call that made the change (a bounded batch; the
 * rest by `maintenance.deliverPending`), or `host-drains`, only by `maintenance.deliverPending`.
 */
export type Delivery = 'inline' | 'host-drains';

export interface Settings {
  mode: MultivendorMode;
  limits: Limits;
  delivery: Delivery;
}

/** The host's order directory and settings (directory.wit). Throw `DirectoryError` to refuse. */
export interface Directory {
  getOrder(id: OrderId): Order | undefined;
  staffUsers(): UserId[];
  vendorUsers(vendor: VendorId): UserId[];
  getSettings(): Settings;
}

/** The wall clock the addon reads (through WASI), in whole Unix milliseconds. */
export interface Clock {
  now(): number;
}

export interface HostImports {
  storage: Storage;
  mail: Mail;
  notifications: Notifications;
  directory: Directory;
  /** Default: the system clock. */
  clock?: Clock;
}

// ---------------------------------------------------------------------------------------------
// Loading and calling the addon.

export interface Manifest {
  /** Where the component came from. */
  component: string;
  sha256: string;
  bytes: number;
  /** The manifest's shape (2). */
  format: number;
  /** The transpiler, e.g. `@bytecodealliance/jco-transpile@0.15.0`. */
  transpiler: string;
  /** The contract version the component's exports implement, e.g. `0.2.0-draft`. */
  contract: string | undefined;
  /** The interfaces the component imports, unversioned. */
  imports: string[];
  files: string[];
}

/** The component transpiled and compiled, ready to instantiate; share one per process. */
export declare class CompiledAddon {
  constructor(
    instantiate: (getCoreModule: (name: string) => WebAssembly.Module, imports: Record<string, unknown>) => unknown,
    modules: Map<string, WebAssembly.Module>,
    manifest: Manifest,
  );
  readonly manifest: Manifest;
}

export interface CompileOptions {
  /** A component to transpile now, in memory (a path or its bytes). */
  wasm?: string | Uint8Array;
  /** Where `npm run build` put the transpiled component (default: the package's `dist/`). */
  dist?: string;
}

/** Compiles the component: from `dist/` (default), or transpiling `wasm` now. */
export declare function compileAddon(options?: CompileOptions): Promise<CompiledAddon>;

export interface LoadOptions extends HostImports, CompileOptions {
  /** Compiled before (otherwise compiled now, with `wasm` or `dist`). */
  compiled?: CompiledAddon;
}

/** Compiles the component unless `compiled` is given, and instantiates it over the host's imports. */
export declare function loadAddon(options: LoadOptions): Promise<Addon>;

/**
 * One instance of the addon over a host's imports, reused for many calls. Each method throws
 * `ArgumentError` for arguments of the wrong shape (nothing called), `AddonError` when the
 * addon refuses, `AddonFault` when the call trapped, exited or an import threw (the instance
 * is dropped; the next call starts a fresh one), `ReentrantCallError` when called from inside
 * an import, `UnsafeIntegerError` for a 64-bit result past 2^53 - 1.
 */
export declare class Addon {
  constructor(compiled: CompiledAddon, host: HostImports);
  readonly messaging: Messaging;
  readonly inbox: Inbox;
  readonly disputes: Disputes;
  readonly orderFilter: OrderFilter;
  readonly maintenance: Maintenance;
  /** How many times this object instantiated the component: 1, plus one per fault. */
  readonly instantiations: number;
  /** What the guest printed (stdout and stderr together) during the last call. */
  readonly guestOutput: string;
  /** Drops the instance; the next call starts a fresh one. */
  reset(): void;
}

// ---------------------------------------------------------------------------------------------
// Errors.

/** The addon refused the operation; it changed nothing. */
export declare class AddonError extends Error {
  readonly kind: AddonErrorKind;
  /** The rejected input, for `invalid-input`. */
  readonly field: string | undefined;
}

/** A call that trapped, exited, or during which an import threw; the instance was dropped. */
export declare class AddonFault extends Error {
  readonly reason: 'trap' | 'exit' | 'import' | 'bindings';
  /** The import that threw, e.g. `storage.commit`, for `import`. */
  readonly source: string | undefined;
  /** What the guest printed during the call. */
  readonly guestOutput: string;
  readonly cause: unknown;
}

/** What the WASI `exit` shim throws instead of ending Node. */
export declare class GuestExit extends Error {
  readonly ok: boolean;
}

/** Thrown by a host's storage to refuse a call. `detail` is the key for `conflict`. */
export declare class StorageError extends Error {
  constructor(kind: 'conflict' | 'unavailable' | 'failed', detail: string);
  readonly kind: 'conflict' | 'unavailable' | 'failed';
  readonly detail: string;
}

/** Thrown by a host's mail or notifications to refuse a delivery. */
export declare class DeliveryError extends Error {
  constructor(kind: 'unavailable' | 'rejected', detail: string);
  readonly kind: 'unavailable' | 'rejected';
  readonly detail: string;
}

/** Thrown by a host's directory to report that it failed. */
export declare class DirectoryError extends Error {
  constructor(detail: string);
  readonly detail: string;
}

export declare class ArgumentError extends TypeError {
  /** e.g. `messaging.post: request.orderId` */
  readonly path: string;
  readonly expected: string;
}

export declare class ReentrantCallError extends Error {
  readonly operation: string;
  readonly running: string;
}

export declare class UnsafeIntegerError extends RangeError {
  /** e.g. `inbox.listThreads().rows[3].latest.seq` */
  readonly path: string;
  readonly value: bigint;
}

// ---------------------------------------------------------------------------------------------
// The in-memory host.

/** Orders keys by their UTF-8 bytes (code point order). */
export declare function compareKeys(a: string, b: string): number;

/** An in-memory ordered store with versions (a global counter); passes the storage conformance cases. */
export declare class MemoryStore implements Storage {
  /**
   * `chunkSize`: keys per chunk of its sorted key list (default 512); `pageCap`: the most
   * entries one scan returns (default `Infinity`), fewer than asked with `more` set, as a store
   * bounding its work may.
   */
  constructor(options?: { chunkSize?: number; pageCap?: number });
  readonly size: number;
  get(key: string): StoredEntry | undefined;
  getMany(keys: string[]): Array<StoredEntry | undefined>;
  /** `more` is exact: whether the range holds another entry after the page. */
  scan(prefix: string, startAfter: string | undefined | null, limit: number, reverse: boolean): ScanPage;
  commit(checks: Check[], writes: Write[]): void;
  /** Every entry, in key order. */
  dump(): StoredEntry[];
}

export type DeliveryFault = 'unavailable' | 'rejected';

declare class Capture<T> {
  /** Repeats of a key delivered before. */
  readonly duplicates: string[];
  all(): T[];
  takeNew(): T[];
  clear(): void;
  failNext(n: number, kind: DeliveryFault): void;
  failAlways(kind: DeliveryFault): void;
  recover(): void;
}

/** Every mail sent, at most once per idempotency key. */
export declare class MailCapture extends Capture<MailMessage> implements Mail {
  send(message: MailMessage): void;
}

export interface Push {
  key: string;
  recipients: UserId[];
  event: NotificationEvent;
}

/** Every push, at most once per idempotency key. */
export declare class NotificationCapture extends Capture<Push> implements Notifications {
  push(idempotencyKey: string, recipients: UserId[], event: NotificationEvent): void;
}

export declare const DEFAULT_LIMITS: Readonly<Limits>;
/** 2026-01-01T09:00:00Z. */
export declare const DEFAULT_NOW_MILLIS: number;

export declare class PinnedClock implements Clock {
  constructor(millis?: number);
  now(): number;
  set(millis: number): void;
  advance(millis: number): void;
}

export declare class MemoryDirectory implements Directory {
  getOrder(id: OrderId): Order | undefined;
  staffUsers(): UserId[];
  vendorUsers(vendor: VendorId): UserId[];
  getSettings(): Settings;
  /** `status` defaults to `processing`. */
  addOrder(order: Omit<Order, 'status'> & { status?: string }): void;
  addStaff(userId: UserId): void;
  addVendor(vendorId: VendorId, name: string): void;
  addVendorUser(vendorId: VendorId, userId: UserId): void;
  addCustomer(userId: UserId, name: string): void;
  register(actor: Actor): void;
  setMode(mode: MultivendorMode): void;
  setLimits(limits: Limits): void;
  /** Default `inline`. */
  setDelivery(delivery: Delivery): void;
  vendorName(vendorId: VendorId): string | undefined;
  orders(): Order[];
  actor(userId: UserId): Actor | undefined;
  failNext(n: number): void;
  failAlways(): void;
  recover(): void;
}

export interface MemoryHost {
  storage: MemoryStore;
  directory: MemoryDirectory;
  mail: MailCapture;
  notifications: NotificationCapture;
  clock: PinnedClock;
}

export declare function createMemoryHost(options?: { now?: number }): MemoryHost;

export interface People {
  staff?: Array<{ id: UserId; name: string }>;
  vendors?: Array<{ id: VendorId; name: string; users?: Array<{ id: UserId; name: string }> }>;
  customers?: Array<{ id: UserId; name: string }>;
  orders?: Array<{ id: OrderId; number: string; customer: UserId; vendor?: VendorId }>;
}

/** The Rust harness's "marketplace" directory. */
export declare const MARKETPLACE: Readonly<Required<People>>;
export declare function installPeople(directory: MemoryDirectory, people: People): void;
export declare function installMarketplace(directory: MemoryDirectory): void;

// ---------------------------------------------------------------------------------------------
// Storage conformance and scenarios.

export interface ConformanceCase {
  name: string;
  /** The rule it shows, in prose. */
  rule: string;
  /**
   * `undefined` for what wit/v0.2.0/storage.wit asks of every store; `'0.1.0'` for what only
   * the released 0.1.0 component asked beyond it.
   */
  scope?: string;
  steps: unknown[];
}

/** A broken rule: the case, the step, what was expected and what happened. */
export declare class ConformanceFailure extends Error {
  /** The name of the case. */
  readonly case: string;
}
/** The cases of host-harness/conformance/cases.json (or `file`). */
export declare function conformanceCases(file?: string): ConformanceCase[];
/** Runs one case on a fresh, empty store; throws a ConformanceFailure at the first broken rule. */
export declare function runCase(testCase: ConformanceCase, store: Storage): void;
/**
 * Runs the cases, each on a fresh store: those of the scopes in `scopes` (default `['0.1.0']`:
 * every case) and every unscoped one.
 */
export declare function checkStore(fresh: () => Storage, file?: string, options?: { scopes?: string[] }): void;

export declare class ScenarioError extends Error {}

export interface Scenario extends Required<People> {
  name: string;
  description?: string;
  directory: 'marketplace' | 'empty';
  mode?: MultivendorMode;
  steps: Array<Record<string, unknown>>;
  file?: string;
}

export interface StepReport {
  index: number;
  title: string;
  passed: boolean;
  outcome: string;
  failures: string[];
}

export interface ScenarioReport {
  file?: string;
  name: string;
  passed: boolean;
  steps: StepReport[];
}

export declare function parseScenario(text: string, file?: string): Scenario;
export declare function loadScenario(path: string): Scenario;
export declare function scenarioFiles(paths: string[]): string[];
export declare function runScenario(scenario: Scenario, options?: { compiled?: CompiledAddon }): Promise<ScenarioReport>;
export declare function reportText(report: ScenarioReport): string;
