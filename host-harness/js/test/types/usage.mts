// Type-checked by test/types.test.js against index.d.ts (not run): the API as a TypeScript host
// author uses it, compiled with --strict.

import {
  Actor,
  AddonError,
  AddonFault,
  DeliveryError,
  MemoryStore,
  StorageError,
  checkStore,
  compileAddon,
  createMemoryHost,
  installMarketplace,
  loadAddon,
  type Directory,
  type Mail,
  type Message,
  type NotificationEvent,
  type ScanPage,
  type Storage,
  type ThreadRow,
} from 'order-messages-host';

const compiled = await compileAddon();
const host = createMemoryHost();
installMarketplace(host.directory);
const addon = await loadAddon({ compiled, ...host });

const alice = Actor.customer('c1', 'Alice');
const message: Message = addon.messaging.post(alice, { orderId: 'o1', body: 'Where is my drill?', idempotencyKey: 'k1' });
const later: number = message.createdAt + 60_000 + message.seq;
const rows: ThreadRow[] = addon.inbox.listThreads(Actor.admin('s1', 'Sam'), {
  query: { filter: 'unread', search: 'drill' },
  sort: 'unread-first',
  cursor: null,
  limit: 25,
}).rows;
const [entries, next] = addon.maintenance.listOutbox(false, undefined, 100);
const page = addon.messaging.readThread(alice, { orderId: 'o1', direction: 'newest-first', limit: 10, markRead: true });
const open = addon.disputes.current(alice, 'o1')?.closed?.at;
let changed = 0;
for (let cursor: string | undefined; ; ) {
  const result = addon.inbox.markSelected(Actor.admin('s1', 'Sam'), ['o1', 'o2'], true, cursor);
  changed += result.changed;
  cursor = result.nextCursor;
  if (cursor === undefined) break;
}
const { applied, delivered, more } = addon.maintenance.deliverPending(100);
const migrated: number = addon.maintenance.migrate(null, 500).migrated;

try {
  addon.disputes.close(alice, 'o1', null);
} catch (e) {
  if (e instanceof AddonError && e.kind === 'invalid-state') console.log(e.message, e.field);
  else if (e instanceof AddonFault && e.reason === 'import') console.log(e.source, e.guestOutput, e.cause);
}

// A host of one's own: each import synchronous, refusals as the typed errors.
const memory = new MemoryStore({ pageCap: 16 });
const storage: Storage = {
  get: (key) => memory.get(key),
  getMany: (keys) => memory.getMany(keys),
  scan(prefix, startAfter, limit, reverse): ScanPage {
    const page = memory.scan(prefix, startAfter, limit, reverse);
    return { entries: page.entries, more: page.more };
  },
  commit: (checks, writes) => memory.commit(checks, writes),
};
const mail: Mail = {
  send(m) {
    if (m.recipients.length === 0) throw new DeliveryError('rejected', 'nobody to send to');
  },
};
const directory: Directory = {
  getOrder: (id) => (id === 'o1' ? { id, number: '1001', customerId: 'c1', customerName: 'Alice', status: 'paid' } : undefined),
  staffUsers: () => ['s1'],
  vendorUsers: () => [],
  getSettings: () => ({
    mode: 'warehouse',
    limits: { maxBodyChars: 5000, maxReasonChars: 500, maxPageSize: 50, maxOrderIds: 500 },
    delivery: 'host-drains',
  }),
};
const seen: NotificationEvent[] = [];
const own = await loadAddon({
  compiled,
  storage,
  mail,
  directory,
  notifications: {
    push(_key, _to, event) {
      seen.push(event);
      if (event.tag === 'counts-changed') for (const { user, counts } of event.val) console.log(user, counts.unreadThreads);
    },
  },
  clock: { now: () => Date.now() },
});
own.inbox.bell(alice);
checkStore(() => new MemoryStore());
checkStore(() => new MemoryStore({ pageCap: 16 }), undefined, { scopes: [] });
if (Math.random() > 2) throw new StorageError('conflict', 'some/key');

console.log(later, rows, entries, next, page.readUpTo, open, own.instantiations, changed, applied, delivered, more, migrated);
