// The typed wrapper over the real component: numbers instead of BigInt, typed errors, argument
// checks, the host's refusals, faults that drop the instance, and loading.

import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import {
  AddonError,
  AddonFault,
  ArgumentError,
  CompiledAddon,
  DeliveryError,
  MemoryStore,
  ReentrantCallError,
  StorageError,
  compileAddon,
  createMemoryHost,
  installMarketplace,
  loadAddon,
} from '../index.js';
import { compiled, marketplace, snapshot } from './helpers.js';
import { thrown } from './thrown.js';

const allThreads = { query: { filter: 'all', search: '' }, sort: 'newest-first', limit: 25 };

test('64-bit fields arrive as plain numbers, so results go through JSON.stringify', async () => {
  const { host, addon, as } = await marketplace();
  const message = addon.messaging.post(as('c1'), { orderId: 'o1', body: 'Where is my drill?' });
  assert.equal(message.seq, 1);
  assert.equal(message.createdAt, host.clock.now());

  const page = addon.inbox.listThreads(as('s1'), allThreads);
  const row = page.rows[0];
  for (const value of [row.messageCount, row.latest.seq, row.latest.createdAt]) assert.equal(typeof value, 'number');
  assert.deepEqual(JSON.parse(JSON.stringify(page)).rows[0].latest.createdAt, host.clock.now());

  const thread = addon.messaging.readThread(as('v1-anna'), {
    orderId: 'o1',
    direction: 'oldest-first',
    limit: 10,
    markRead: false,
  });
  assert.deepEqual([thread.messageCount, thread.readUpTo, thread.messages[0].seq], [1, 0, 1]);

  // What the imports receive is converted too: the notification's event.
  const pushed = host.notifications.all().find((p) => p.event.tag === 'new-message');
  assert.deepEqual([pushed.event.val.seq, pushed.event.val.createdAt], [1, host.clock.now()]);
});

test('a refusal is an AddonError with its kind, message and field; the instance stays', async () => {
  const { addon, as } = await marketplace();
  const blank = thrown(() => addon.messaging.post(as('c1'), { orderId: 'o1', body: '   ' }), AddonError);
  assert.equal(blank.kind, 'invalid-input');
  assert.equal(blank.field, 'body');
  assert.match(blank.message, /empty/);

  const hidden = thrown(() => addon.messaging.unreadCount(as('c2'), 'o1'), AddonError);
  assert.equal(hidden.kind, 'not-found');
  assert.equal(hidden.field, undefined);

  assert.equal(addon.instantiations, 1);
  assert.equal(addon.messaging.post(as('c1'), { orderId: 'o1', body: 'Fine.' }).seq, 1);
});

test('arguments of the wrong shape are refused before the component runs', async () => {
  const { host, addon, as } = await marketplace();
  const before = snapshot(host.storage);
  const alice = as('c1');
  const cases = [
    [() => addon.messaging.post({ id: 'c1', displayName: 'Alice' }, { orderId: 'o1', body: 'x' }), 'messaging.post: actor.role'],
    [() => addon.messaging.post(alice, { orderId: 'o1', body: 'x', idempotencyKy: 'k' }), 'messaging.post: request.idempotencyKy'],
    [() => addon.messaging.post(alice, { orderId: 1, body: 'x' }), 'messaging.post: request.orderId'],
    [() => addon.inbox.listThreads(alice, { ...allThreads, limit: -1 }), 'inbox.listThreads: request.limit'],
    [() => addon.inbox.listThreads(alice, { ...allThreads, sort: 'oldest' }), 'inbox.listThreads: request.sort'],
    [() => addon.inbox.markSelected(alice, ['o1', 2], true), 'inbox.markSelected: orderIds[1]'],
    [() => addon.maintenance.verify(undefined, 10, 'extra'), 'maintenance.verify'],
    [() => addon.messaging.post(alice), 'messaging.post: request'],
  ];
  for (const [call, path] of cases) {
    const error = thrown(call, ArgumentError);
    assert.equal(error.path, path);
  }
  assert.equal(thrown(() => addon.messaging.post(alice), ArgumentError).message, 'messaging.post: request: expected an object, got nothing');
  assert.deepEqual(snapshot(host.storage), before);
  assert.equal(addon.instantiations, 1);
});

test("the host's typed refusals reach the addon as its WIT errors, and the instance stays", async () => {
  const { host, addon, as } = await marketplace();

  const get = host.storage.get;
  host.storage.get = () => {
    throw new StorageError('unavailable', 'the database is restarting');
  };
  const refused = thrown(() => addon.messaging.unreadCount(as('c1'), 'o1'), AddonError);
  assert.equal(refused.kind, 'storage');
  host.storage.get = get;

  host.directory.failNext(1);
  assert.equal(thrown(() => addon.inbox.bell(as('s1')), AddonError).kind, 'directory');

  // A mail the host cannot send now stays in the addon's outbox; the post itself succeeds.
  host.mail.failAlways('unavailable');
  addon.messaging.post(as('c1'), { orderId: 'o1', body: 'Hello?' });
  const [entries] = addon.maintenance.listOutbox(false, undefined, 10);
  assert.equal(entries.length, 1);
  assert.equal(entries[0].kind, 'mail');
  assert.equal(typeof entries[0].createdAt, 'number');

  assert.equal(addon.instantiations, 1);
});

test('an import that throws breaks the instance; the next call starts a fresh one', async () => {
  const { host, addon, as } = await marketplace();
  const before = snapshot(host.storage);
  const commit = host.storage.commit;
  host.storage.commit = () => {
    throw new Error('disk on fire');
  };
  const fault = thrown(() => addon.messaging.post(as('c1'), { orderId: 'o1', body: 'Hi' }), AddonFault);
  assert.equal(fault.reason, 'import');
  assert.equal(fault.source, 'storage.commit');
  assert.equal(fault.cause.message, 'disk on fire');
  assert.deepEqual(snapshot(host.storage), before);

  host.storage.commit = commit;
  assert.equal(addon.messaging.post(as('c1'), { orderId: 'o1', body: 'Hi' }).seq, 1);
  assert.equal(addon.instantiations, 2);
  assert.equal(addon.maintenance.verify(undefined, 500).problems.length, 0);
});

// jco takes a thrown value that is no Error for the import's `result::err` payload and carries
// on; the call must break all the same.
test('an import that throws something other than an Error breaks the call too', async () => {
  const { host, addon, as } = await marketplace();
  host.directory.getOrder = () => {
    throw 'no orders today';
  };
  const fault = thrown(() => addon.messaging.unreadCount(as('c1'), 'o1'), AddonFault);
  assert.equal(fault.source, 'directory.getOrder');
  assert.equal(fault.cause, 'no orders today');
});

test('an import that returns a Promise breaks the call with a message saying imports are synchronous', async () => {
  const { host, addon, as } = await marketplace();
  host.directory.getOrder = async () => undefined;
  const fault = thrown(() => addon.messaging.unreadCount(as('c1'), 'o1'), AddonFault);
  assert.equal(fault.source, 'directory.getOrder');
  assert.match(fault.message, /returned a Promise: imports must be synchronous/);
});

test('a storage version that is no exact number, or 0, breaks the call, naming the key', async () => {
  const { host, addon, as } = await marketplace();
  addon.messaging.post(as('c1'), { orderId: 'o1', body: 'Hi' });
  const get = host.storage.get.bind(host.storage);
  host.storage.get = (key) => {
    const entry = get(key);
    return entry && { ...entry, version: 2 ** 60 };
  };
  const fault = thrown(() => addon.messaging.unreadCount(as('c1'), 'o1'), AddonFault);
  assert.equal(fault.reason, 'import');
  assert.match(fault.cause.message, /the version of .* must be a whole number/);

  host.storage.get = (key) => {
    const entry = get(key);
    return entry && { ...entry, version: 0 };
  };
  const zero = thrown(() => addon.messaging.unreadCount(as('c1'), 'o1'), AddonFault);
  assert.match(zero.cause.message, /never 0/);
});

test('storage.scan must return a scan page within the limit; the 0.1.0 shape is named', async () => {
  const { host, addon, as } = await marketplace();
  addon.messaging.post(as('c1'), { orderId: 'o1', body: 'Hi' });
  const scan = host.storage.scan.bind(host.storage);
  const inbox = () => addon.inbox.listThreads(as('s1'), { query: { filter: 'all', search: '' }, sort: 'newest-first', limit: 10 });

  host.storage.scan = (...args) => scan(...args).entries;
  const array = thrown(inbox, AddonFault);
  assert.equal(array.source, 'storage.scan');
  assert.match(array.cause.message, /must return a scan page \{ entries: \[\.\.\.\], more: boolean \}, not an array of entries \(the 0\.1\.0 shape\)/);

  host.storage.scan = (...args) => ({ entries: scan(...args).entries });
  assert.match(thrown(inbox, AddonFault).cause.message, /must return a scan page/);

  host.storage.scan = (prefix, after, limit, reverse) => {
    const [first] = scan(prefix, after, limit, reverse).entries;
    return { entries: Array.from({ length: limit + 1 }, () => first), more: false };
  };
  const long = thrown(inbox, AddonFault);
  assert.match(long.cause.message, /returned \d+ entries for a limit of \d+/);

  host.storage.scan = scan;
  assert.equal(inbox().rows.length, 1);
});

// storage.wit lets a store return fewer entries than asked (even none) while `more` is set.
test('the addon reads through a store that returns short pages, with the same results', async () => {
  const run = async (storage) => {
    const host = { ...createMemoryHost(), storage };
    installMarketplace(host.directory);
    const addon = await loadAddon({ compiled, ...host });
    const as = (userId) => host.directory.actor(userId);
    for (const [who, order, body] of [
      ['c1', 'o1', 'The drill battery is missing.'],
      ['c1', 'o2', 'The book arrived.'],
      ['c2', 'o3', 'Please send an invoice for the drill.'],
      ['v1-anna', 'o1', 'Sending a new battery.'],
    ]) {
      addon.messaging.post(as(who), { orderId: order, body });
    }
    const request = { query: { filter: 'all', search: 'drill' }, sort: 'newest-first', limit: 10 };
    const seen = {
      inbox: addon.inbox.listThreads(as('s1'), request).rows.map((r) => [r.orderId, r.unreadCount]),
      thread: addon.messaging.readThread(as('s1'), { orderId: 'o1', direction: 'newest-first', limit: 10, markRead: true }).messages.map((m) => m.seq),
      bell: addon.inbox.bell(as('s1')),
      orders: addon.orderFilter.listOrders(as('c1'), 'with-messages', undefined, 10).orderIds,
      problems: addon.maintenance.verify(undefined, 500).problems,
    };
    assert.equal(addon.instantiations, 1);
    return seen;
  };
  const full = await run(new MemoryStore());
  assert.deepEqual(full.inbox.map(([order]) => order).sort(), ['o1', 'o3']);
  assert.deepEqual(full.thread, [2, 1]);
  assert.deepEqual(full.problems, []);
  for (const pageCap of [1, 2]) assert.deepEqual(await run(new MemoryStore({ pageCap })), full, `pages of ${pageCap}`);
});

test('with delivery `host-drains` a post only commits; deliverPending applies its work and delivers', async () => {
  const { host, addon, as } = await marketplace();
  host.directory.setDelivery('host-drains');
  addon.messaging.post(as('c1'), { orderId: 'o1', body: 'Where is my drill?' });
  assert.deepEqual([host.mail.all().length, host.notifications.all().length], [0, 0]);
  // Per-thread counts are exact at once; the vendor's bell follows once the work is applied.
  assert.equal(addon.messaging.unreadCount(as('v1-anna'), 'o1'), 1);
  assert.equal(addon.inbox.bell(as('v1-anna')).unreadThreads, 0);

  const totals = { applied: 0, delivered: 0 };
  for (let more = true, calls = 0; more && calls < 100; calls++) {
    const report = addon.maintenance.deliverPending(100);
    for (const value of Object.values(report)) assert.ok(typeof value === 'number' || typeof value === 'boolean');
    totals.applied += report.applied;
    totals.delivered += report.delivered;
    more = report.more;
  }
  assert.ok(totals.applied > 0, JSON.stringify(totals));
  assert.ok(totals.delivered > 0, JSON.stringify(totals));
  assert.deepEqual(host.mail.all().map((m) => m.recipients), [['v1-anna']]);
  assert.equal(addon.inbox.bell(as('v1-anna')).unreadThreads, 1);
});

test('a bell push carries each recipient its counts, as numbers, for exactly the users listed', async () => {
  const { host, addon, as } = await marketplace();
  addon.messaging.post(as('c1'), { orderId: 'o1', body: 'Where is my drill?' });
  addon.disputes.open(as('c1'), 'o1', 'It never came.');
  const bells = host.notifications.all().filter((p) => p.event.tag === 'counts-changed');
  assert.ok(bells.length > 0);
  for (const push of bells) {
    assert.deepEqual(push.event.val.map((u) => u.user).sort(), [...push.recipients].sort());
    for (const { counts } of push.event.val) {
      assert.equal(typeof counts.unreadThreads, 'number');
      assert.equal(typeof counts.openDisputes, 'number');
    }
  }
  const staff = bells.at(-1).event.val.find((u) => u.user === 's1');
  assert.deepEqual(staff.counts, addon.inbox.bell(as('s1')));
});

test('markSelected marks a bounded batch a call and hands back a cursor while threads remain', async () => {
  const { host, addon, as } = await marketplace();
  const ids = [];
  for (let i = 0; i < 20; i++) {
    const id = `b${i}`;
    host.directory.addOrder({ id, number: String(3000 + i), customerId: 'c1', customerName: 'Alice' });
    addon.messaging.post(as('c1'), { orderId: id, body: `Question ${i}` });
    ids.push(id);
  }
  const first = addon.inbox.markSelected(as('s1'), ids, true);
  assert.ok(first.changed > 0 && first.changed < 20, JSON.stringify(first));
  assert.equal(typeof first.nextCursor, 'string');
  let changed = first.changed;
  for (let cursor = first.nextCursor, calls = 0; cursor !== undefined && calls < 20; calls++) {
    const next = addon.inbox.markSelected(as('s1'), ids, true, cursor);
    changed += next.changed;
    cursor = next.nextCursor;
  }
  assert.equal(changed, 20);
  assert.deepEqual(ids.map((id) => addon.messaging.unreadCount(as('s1'), id)), ids.map(() => 0));
  // Every id is checked on the first call: one the actor cannot reach refuses the whole call.
  const refused = thrown(() => addon.inbox.markSelected(as('c2'), ['o3', 'o1'], false), AddonError);
  assert.equal(refused.kind, 'not-found');
  assert.equal(addon.messaging.unreadCount(as('c2'), 'o3'), 0);
});

test('migrate on current data does nothing and says so', async () => {
  const { addon, as } = await marketplace();
  addon.messaging.post(as('c1'), { orderId: 'o1', body: 'Hi' });
  const version = addon.maintenance.schemaVersion();
  const report = addon.maintenance.migrate(undefined, 100);
  assert.deepEqual(report, { fromVersion: version, toVersion: version, migrated: 0, nextCursor: undefined });
  assert.equal(addon.messaging.unreadCount(as('v1-anna'), 'o1'), 1);
});

test('a component of another contract version is refused, naming both versions', async () => {
  const older = new CompiledAddon(compiled.instantiate, compiled.modules, { ...compiled.manifest, contract: '0.1.0' });
  await assert.rejects(
    loadAddon({ compiled: older, ...createMemoryHost() }),
    /implements storefront:order-messages@0\.1\.0; this host serves storefront:order-messages@0\.2\.0-draft/,
  );
  const unknown = new CompiledAddon(compiled.instantiate, compiled.modules, { ...compiled.manifest, contract: undefined });
  await assert.rejects(loadAddon({ compiled: unknown, ...createMemoryHost() }), /does not say which contract.*npm run build/);
  assert.equal(compiled.manifest.contract, '0.2.0-draft');
});

test('an export called from inside an import is refused; the instance is not entered again', async () => {
  const { host, addon, as } = await marketplace();
  let inner;
  host.mail.send = () => {
    try {
      addon.inbox.bell(as('c1'));
    } catch (e) {
      inner = e;
      throw e;
    }
  };
  const fault = thrown(() => addon.messaging.post(as('c1'), { orderId: 'o1', body: 'Hi' }), AddonFault);
  assert.ok(inner instanceof ReentrantCallError);
  assert.equal(inner.running, 'messaging.post');
  assert.equal(fault.source, 'mail.send');
  assert.equal(fault.cause, inner);
});

test('the addon reads time from the host clock', async () => {
  const { host, addon, as } = await marketplace();
  host.clock.set(Date.UTC(2026, 5, 1, 12, 30));
  assert.equal(addon.messaging.post(as('c1'), { orderId: 'o1', body: 'a' }).createdAt, Date.UTC(2026, 5, 1, 12, 30));
  host.clock.advance(90_000);
  assert.equal(addon.messaging.post(as('c1'), { orderId: 'o1', body: 'b' }).createdAt, Date.UTC(2026, 5, 1, 12, 31, 30));

  host.clock.now = () => 1.5;
  const fault = thrown(() => addon.messaging.post(as('c1'), { orderId: 'o1', body: 'c' }), AddonFault);
  assert.equal(fault.source, 'clock.now');
});

test("imports are offered under the versioned names of jco's declarations and the unversioned ones its glue uses", async () => {
  const seen = [];
  const spy = new CompiledAddon(
    (getCoreModule, imports) => {
      for (const name of ['storefront:order-messages/storage', 'wasi:cli/environment']) {
        const versioned = name.startsWith('wasi:') ? `${name}@0.2.6` : `${name}@0.2.0-draft`;
        seen.push([name, imports[name] !== undefined, imports[versioned] === imports[name]]);
      }
      return compiled.instantiate(getCoreModule, imports);
    },
    compiled.modules,
    compiled.manifest,
  );
  await loadAddon({ compiled: spy, ...createMemoryHost() });
  assert.deepEqual(seen, [
    ['storefront:order-messages/storage', true, true],
    ['wasi:cli/environment', true, true],
  ]);
});

test('loading checks that the host has every import, naming what is missing', async () => {
  const host = createMemoryHost();
  delete host.mail;
  await assert.rejects(loadAddon({ compiled, ...host }), /`mail` must have the method\(s\) send; missing: send/);
  const { storage, ...rest } = createMemoryHost();
  await assert.rejects(loadAddon({ compiled, ...rest, storage: { get() {}, scan() {} } }), /missing: getMany, commit/);

  const newer = new CompiledAddon(compiled.instantiate, compiled.modules, {
    ...compiled.manifest,
    imports: [...compiled.manifest.imports, 'wasi:filesystem/types'],
  });
  await assert.rejects(loadAddon({ compiled: newer, ...createMemoryHost() }), /imports wasi:filesystem\/types, which this host does not provide/);
});

test('compiling without a build, or from a missing component, says how to get one', async () => {
  const empty = await mkdtemp(join(tmpdir(), 'no-dist-'));
  await assert.rejects(compileAddon({ dist: empty }), /run `npm run build`/);
  await assert.rejects(compileAddon({ wasm: join(empty, 'missing.wasm') }), /build it with `cargo build`.*ORDER_MESSAGES_WASM/);
});

test('compileAddon({ wasm }) transpiles a component in memory', async () => {
  const fresh = await compileAddon({ wasm: compiled.manifest.component });
  assert.equal(fresh.manifest.sha256, compiled.manifest.sha256);
  const { addon: built } = await marketplace();
  const addon = await loadAddon({ compiled: fresh, ...createMemoryHost() });
  assert.equal(addon.maintenance.schemaVersion(), built.maintenance.schemaVersion());
});

// The wrapper stubs `WebAssembly.promising` while jco's glue instantiates (see stubPromising).
test('instantiating leaves the WebAssembly global as it found it', async () => {
  assert.equal(WebAssembly.promising, undefined);
  await marketplace();
  assert.equal(WebAssembly.promising, undefined);

  const native = (fn) => fn;
  WebAssembly.promising = native;
  try {
    const { addon, as } = await marketplace();
    addon.inbox.bell(as('s1'));
    assert.equal(WebAssembly.promising, native);
  } finally {
    delete WebAssembly.promising;
  }
});
