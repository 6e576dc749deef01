// The in-memory host: the directory's users as actors, the captures' at-most-once delivery and
// injected failures, and the directory fixtures.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  Actor,
  DeliveryError,
  DirectoryError,
  MailCapture,
  MemoryDirectory,
  NotificationCapture,
  PinnedClock,
  installMarketplace,
  installPeople,
} from '../index.js';
import { thrown } from './thrown.js';

test("users resolve to actors with their role and display name, as the Rust harness's directory does", () => {
  const dir = new MemoryDirectory();
  dir.addVendor('v1', 'Acme Tools');
  dir.register(Actor.vendor('anna', 'v1', 'Anna'));
  dir.register(Actor.admin('sam', 'Sam'));
  dir.addStaff('sara');
  dir.register(Actor.customer('alice', 'Alice'));
  dir.addOrder({ id: 'o2', number: '1002', customerId: 'bob', customerName: 'Bob B.' });
  assert.deepEqual(dir.actor('sam'), Actor.admin('sam', 'Sam'));
  assert.deepEqual(dir.actor('sara'), Actor.admin('sara', 'sara'));
  assert.deepEqual(dir.actor('anna'), Actor.vendor('anna', 'v1', 'Anna'));
  assert.deepEqual(dir.actor('alice'), Actor.customer('alice', 'Alice'));
  assert.deepEqual(dir.actor('bob'), Actor.customer('bob', 'Bob B.'));
  assert.equal(dir.actor('nobody'), undefined);
  assert.equal(dir.getOrder('o2').status, 'processing');
  assert.deepEqual(dir.staffUsers(), ['sam', 'sara']);
  assert.deepEqual(dir.vendorUsers('v1'), ['anna']);
  assert.deepEqual(dir.vendorUsers('v9'), []);
});

test('the marketplace fixture is the Rust harness\'s: vendors, staff, customers and orders o1–o5', () => {
  const dir = new MemoryDirectory();
  installMarketplace(dir);
  assert.deepEqual(dir.staffUsers(), ['s1', 's2']);
  assert.deepEqual(dir.actor('v2-ben'), Actor.vendor('v2-ben', 'v2', 'Ben'));
  assert.deepEqual(dir.getOrder('o3'), {
    id: 'o3',
    number: '1003',
    customerId: 'c2',
    customerName: 'Bob',
    vendorId: 'v1',
    vendorName: 'Acme Tools',
    status: 'processing',
  });
  assert.equal(dir.getOrder('o5').vendorId, undefined);
  assert.deepEqual(dir.getSettings(), {
    mode: 'separate-shops',
    limits: { maxBodyChars: 10_000, maxReasonChars: 2_000, maxPageSize: 100, maxOrderIds: 1_000 },
    delivery: 'inline',
  });
  dir.setDelivery('host-drains');
  assert.equal(dir.getSettings().delivery, 'host-drains');
  assert.throws(() => dir.setDelivery('later'), /delivery must be inline or host-drains/);
});

test('orders naming an unknown customer or vendor are refused', () => {
  const dir = new MemoryDirectory();
  assert.throws(() => installPeople(dir, { orders: [{ id: 'o9', number: '9', customer: 'ghost' }] }), /no customer `ghost`/);
  installPeople(dir, { customers: [{ id: 'c9', name: 'Dora' }] });
  assert.throws(
    () => installPeople(dir, { orders: [{ id: 'o9', number: '9', customer: 'c9', vendor: 'v9' }] }),
    /no vendor `v9`/,
  );
});

test('a capture records each idempotency key once and hands out what is new', () => {
  const mail = new MailCapture();
  const message = (key, to) => ({ recipients: [to], orderId: 'o1', subject: 's', textBody: 't', htmlBody: 'h', idempotencyKey: key });
  mail.send(message('k1', 'u1'));
  mail.send(message('k1', 'u1'));
  mail.send(message('k2', 'u2'));
  assert.deepEqual(mail.all().map((m) => m.idempotencyKey), ['k1', 'k2']);
  assert.deepEqual(mail.duplicates, ['k1']);
  assert.equal(mail.takeNew().length, 2);
  assert.deepEqual(mail.takeNew(), []);
  mail.send(message('k2', 'u2'));
  assert.equal(mail.all().length, 2);
});

test('injected delivery failures are typed, counted down, and recorded nothing', () => {
  const pushes = new NotificationCapture();
  const event = { tag: 'counts-changed', val: { unreadThreads: 1, openDisputes: 0 } };
  pushes.failNext(2, 'rejected');
  assert.equal(thrown(() => pushes.push('p1', ['s1'], event), DeliveryError).kind, 'rejected');
  assert.equal(thrown(() => pushes.push('p1', ['s1'], event), DeliveryError).kind, 'rejected');
  pushes.push('p1', ['s1'], event);
  pushes.failAlways('unavailable');
  for (let i = 0; i < 3; i++) assert.equal(thrown(() => pushes.push('p2', ['s1'], event), DeliveryError).kind, 'unavailable');
  pushes.recover();
  pushes.push('p2', ['s1'], event);
  assert.deepEqual(pushes.all().map((p) => p.key), ['p1', 'p2']);

  const dir = new MemoryDirectory();
  dir.failNext(1);
  thrown(() => dir.staffUsers(), DirectoryError);
  assert.deepEqual(dir.staffUsers(), []);
});

test('a pinned clock moves only when told', () => {
  const clock = new PinnedClock();
  assert.equal(clock.now(), Date.UTC(2026, 0, 1, 9));
  clock.advance(60_000);
  assert.equal(clock.now(), Date.UTC(2026, 0, 1, 9, 1));
  clock.set(5);
  assert.equal(clock.now(), 5);
});
