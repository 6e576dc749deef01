// An in-memory host for tests, demos and benchmarks, the JavaScript counterpart of the Rust
// harness's `Host`: storage, an order directory with settings, mail and notification captures
// (at most once per idempotency key, with failure injection) and a pinned clock.

import { DeliveryError, DirectoryError } from './errors.js';
import { MemoryStore } from './memory-store.js';

/** Where a fresh `PinnedClock` stands: 2026-01-01T09:00:00Z, in Unix milliseconds. */
export const DEFAULT_NOW_MILLIS = 1_767_258_000_000;

/** The limits a fresh `MemoryDirectory` has (those of the Rust harness). */
export const DEFAULT_LIMITS = Object.freeze({
  maxBodyChars: 10_000,
  maxReasonChars: 2_000,
  maxPageSize: 100,
  maxOrderIds: 1_000,
});

/** Actors (`types.actor`) for each role. */
export const Actor = Object.freeze({
  customer: (id, displayName) => ({ id, role: { tag: 'customer' }, displayName }),
  vendor: (id, vendorId, displayName) => ({ id, role: { tag: 'vendor', val: vendorId }, displayName }),
  admin: (id, displayName) => ({ id, role: { tag: 'admin' }, displayName }),
});

/** A wall clock that stands still until told to move. */
export class PinnedClock {
  constructor(millis = DEFAULT_NOW_MILLIS) {
    this.millis = millis;
  }

  now() {
    return this.millis;
  }

  set(millis) {
    this.millis = millis;
  }

  advance(millis) {
    this.millis += millis;
  }
}

/**
 * Fails calls on demand: `failNext(n, kind)`, `failAlways(kind)`, `recover()`. `trip()` is
 * called once per import call and returns the kind to fail with, if any.
 */
class FaultSwitch {
  #armed = null;

  failNext(n, kind) {
    this.#armed = n > 0 ? { kind, remaining: n } : null;
  }

  failAlways(kind) {
    this.#armed = { kind, remaining: Infinity };
  }

  recover() {
    this.#armed = null;
  }

  trip() {
    const armed = this.#armed;
    if (armed === null) return null;
    armed.remaining -= 1;
    if (armed.remaining <= 0) this.#armed = null;
    return armed.kind;
  }
}

/**
 * The host's order directory and the addon's settings (the `directory` import), plus what a
 * tool acting as users needs: customers, display names, and each user as an actor.
 */
export class MemoryDirectory {
  #orders = new Map();
  #staff = [];
  /** vendor id → its users, in the order added */
  #vendors = new Map();
  #customers = [];
  #names = new Map();
  #vendorNames = new Map();
  #settings = { mode: 'separate-shops', limits: { ...DEFAULT_LIMITS }, delivery: 'inline' };
  #faults = new FaultSwitch();

  // The `directory` import.

  getOrder(id) {
    this.#injected();
    return this.#orders.get(id);
  }

  staffUsers() {
    this.#injected();
    return [...this.#staff];
  }

  vendorUsers(vendorId) {
    this.#injected();
    return [...(this.#vendors.get(vendorId) ?? [])];
  }

  getSettings() {
    this.#injected();
    return { mode: this.#settings.mode, limits: { ...this.#settings.limits }, delivery: this.#settings.delivery };
  }

  // Filling and changing it.

  /** Adds an order (`{ id, number, customerId, customerName, vendorId?, vendorName?, status? }`), or replaces the one with its id. */
  addOrder(order) {
    this.#orders.set(order.id, { status: 'processing', ...order });
  }

  addStaff(userId) {
    if (!this.#staff.includes(userId)) this.#staff.push(userId);
  }

  /** Adds a vendor with its display name (or renames it). */
  addVendor(vendorId, name) {
    if (!this.#vendors.has(vendorId)) this.#vendors.set(vendorId, []);
    this.#vendorNames.set(vendorId, name);
  }

  addVendorUser(vendorId, userId) {
    if (!this.#vendors.has(vendorId)) this.#vendors.set(vendorId, []);
    const users = this.#vendors.get(vendorId);
    if (!users.includes(userId)) users.push(userId);
  }

  addCustomer(userId, name) {
    if (!this.#customers.includes(userId)) this.#customers.push(userId);
    this.#names.set(userId, name);
  }

  /** Adds a user in the role of `actor`, with its display name. */
  register(actor) {
    if (actor.role.tag === 'admin') this.addStaff(actor.id);
    else if (actor.role.tag === 'vendor') this.addVendorUser(actor.role.val, actor.id);
    else this.addCustomer(actor.id, actor.displayName);
    this.#names.set(actor.id, actor.displayName);
  }

  setMode(mode) {
    this.#settings.mode = mode;
  }

  setLimits(limits) {
    this.#settings.limits = { ...limits };
  }

  /**
   * When the addon applies the work that follows a change (directory.wit's `delivery`):
   * `inline` (the default: the call itself, then `deliverPending` for what it left) or
   * `host-drains` (only `maintenance.deliverPending`).
   */
  setDelivery(delivery) {
    if (delivery !== 'inline' && delivery !== 'host-drains') {
      throw new TypeError(`delivery must be inline or host-drains, not ${JSON.stringify(delivery)}`);
    }
    this.#settings.delivery = delivery;
  }

  /** The display name of a vendor, if it has one. */
  vendorName(vendorId) {
    return this.#vendorNames.get(vendorId);
  }

  /** Every order, in the order added. */
  orders() {
    return [...this.#orders.values()];
  }

  /**
   * The user as an actor: staff act as `admin`, a vendor's user as that vendor, anyone else who
   * is a customer (added as one, or the customer of an order) as a customer. The display name
   * is the one set for the user, else the one an order gives the customer, else the id.
   * `undefined` for a user the directory does not know.
   */
  actor(userId) {
    const name = (fallback) => this.#names.get(userId) ?? fallback ?? userId;
    if (this.#staff.includes(userId)) return Actor.admin(userId, name());
    for (const [vendorId, users] of this.#vendors) {
      if (users.includes(userId)) return Actor.vendor(userId, vendorId, name());
    }
    if (this.#customers.includes(userId)) return Actor.customer(userId, name());
    for (const order of this.#orders.values()) {
      if (order.customerId === userId) return Actor.customer(userId, name(order.customerName));
    }
    return undefined;
  }

  // Failure injection: every directory call fails with a `DirectoryError`.

  failNext(n) {
    this.#faults.failNext(n, 'failed');
  }

  failAlways() {
    this.#faults.failAlways('failed');
  }

  recover() {
    this.#faults.recover();
  }

  #injected() {
    if (this.#faults.trip() !== null) throw new DirectoryError('injected fault: directory unavailable');
  }
}

/**
 * Everything delivered through an import, at most once per idempotency key (as a real host
 * must), with failure injection (`failNext(n, kind)`, `failAlways(kind)`, `recover()`, kind
 * `unavailable` or `rejected`).
 */
class Capture {
  #items = [];
  #taken = 0;
  #keys = new Set();
  #faults = new FaultSwitch();
  /** Repeats of a key delivered before, in order. */
  duplicates = [];

  constructor(what) {
    this.what = what;
  }

  /** Records `item` under `key`, unless an injected fault trips. */
  deliver(key, item) {
    const fault = this.#faults.trip();
    if (fault !== null) throw new DeliveryError(fault, `injected fault: ${this.what} ${fault}`);
    if (this.#keys.has(key)) {
      this.duplicates.push(key);
      return;
    }
    this.#keys.add(key);
    this.#items.push(item);
  }

  /** Everything delivered so far, in order. */
  all() {
    return [...this.#items];
  }

  /** What was delivered since the previous `takeNew`. */
  takeNew() {
    const fresh = this.#items.slice(this.#taken);
    this.#taken = this.#items.length;
    return fresh;
  }

  /** Forgets what was delivered (keys included), e.g. between benchmark rounds. */
  clear() {
    this.#items = [];
    this.#taken = 0;
    this.#keys.clear();
    this.duplicates = [];
  }

  failNext(n, kind) {
    this.#faults.failNext(n, kind);
  }

  failAlways(kind) {
    this.#faults.failAlways(kind);
  }

  recover() {
    this.#faults.recover();
  }
}

/** The `mail` import: every mail sent (`mail.message`: recipients, orderId, subject, bodies, idempotencyKey). */
export class MailCapture extends Capture {
  constructor() {
    super('mail');
  }

  send(message) {
    this.deliver(message.idempotencyKey, message);
  }
}

/** The `notifications` import: every push, as `{ key, recipients, event }`. */
export class NotificationCapture extends Capture {
  constructor() {
    super('notification');
  }

  push(key, recipients, event) {
    this.deliver(key, { key, recipients, event });
  }
}

/**
 * A host with empty storage, an empty directory with default settings, mail and notification
 * captures, and a clock pinned at `now` (default `DEFAULT_NOW_MILLIS`): pass it to `loadAddon`.
 */
export function createMemoryHost({ now = DEFAULT_NOW_MILLIS } = {}) {
  return {
    storage: new MemoryStore(),
    directory: new MemoryDirectory(),
    mail: new MailCapture(),
    notifications: new NotificationCapture(),
    clock: new PinnedClock(now),
  };
}

/** The ids of `installMarketplace`'s directory (those of the Rust harness's fixtures). */
export const MARKETPLACE = Object.freeze({
  vendors: [
    { id: 'v1', name: 'Acme Tools', users: [{ id: 'v1-anna', name: 'Anna' }] },
    { id: 'v2', name: 'Blue Books', users: [{ id: 'v2-ben', name: 'Ben' }] },
  ],
  staff: [
    { id: 's1', name: 'Sam' },
    { id: 's2', name: 'Sara' },
  ],
  customers: [
    { id: 'c1', name: 'Alice' },
    { id: 'c2', name: 'Bob' },
    { id: 'c3', name: 'Carol' },
  ],
  orders: [
    { id: 'o1', number: '1001', customer: 'c1', vendor: 'v1' },
    { id: 'o2', number: '1002', customer: 'c1', vendor: 'v2' },
    { id: 'o3', number: '1003', customer: 'c2', vendor: 'v1' },
    { id: 'o4', number: '1004', customer: 'c3', vendor: 'v2' },
    { id: 'o5', number: '1005', customer: 'c3' },
  ],
});

/**
 * Fills `directory` with people and orders given as `{ staff, vendors, customers, orders }`
 * (the shape of `MARKETPLACE` and of a scenario file's lists).
 *
 * @throws {Error} for an order naming an unknown customer or vendor
 */
export function installPeople(directory, { staff = [], vendors = [], customers = [], orders = [] }) {
  for (const s of staff) directory.register(Actor.admin(s.id, s.name));
  for (const v of vendors) {
    directory.addVendor(v.id, v.name);
    for (const u of v.users ?? []) directory.register(Actor.vendor(u.id, v.id, u.name));
  }
  for (const c of customers) directory.register(Actor.customer(c.id, c.name));
  for (const o of orders) {
    const customer = directory.actor(o.customer);
    if (customer?.role.tag !== 'customer') throw new Error(`order \`${o.id}\`: no customer \`${o.customer}\``);
    const order = { id: o.id, number: o.number, customerId: customer.id, customerName: customer.displayName };
    if (o.vendor !== undefined) {
      const vendorName = directory.vendorName(o.vendor);
      if (vendorName === undefined) throw new Error(`order \`${o.id}\`: no vendor \`${o.vendor}\``);
      Object.assign(order, { vendorId: o.vendor, vendorName });
    }
    directory.addOrder(order);
  }
}

/** The Rust harness's "marketplace" directory: vendors v1, v2, staff s1, s2, customers c1–c3, orders o1–o5. */
export function installMarketplace(directory) {
  installPeople(directory, MARKETPLACE);
}
