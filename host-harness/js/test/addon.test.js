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
  ReentrantCallError,
  StorageError,
  compileAddon,
  createMemoryHost,
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

test('a storage version that is no exact number breaks the call, naming the key', async () => {
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
        const versioned = name.startsWith('wasi:') ? `${name}@0.2.6` : `${name}@0.1.0`;
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
