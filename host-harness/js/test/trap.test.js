// A real guest trap: the guest's memory is capped (a V8 flag, set before the component is
// compiled, so only in this test file's process) and storage hands it a value larger than the
// cap, so its allocator fails and the guest aborts with `unreachable`.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import v8 from 'node:v8';

import { thrown } from './thrown.js';

v8.setFlagsFromString('--wasm-max-mem-pages=1024'); // 64 MiB
const { AddonFault } = await import('../index.js');
const { marketplace } = await import('./helpers.js');

test('a guest trap breaks the instance; the next call starts a fresh one', async () => {
  const { host, addon, as } = await marketplace();
  addon.messaging.post(as('c1'), { orderId: 'o1', body: 'Hi' });

  const huge = new Uint8Array(80 << 20);
  const { get, getMany } = host.storage;
  host.storage.get = (key) => {
    const entry = get.call(host.storage, key);
    return entry && { ...entry, value: huge };
  };
  host.storage.getMany = (keys) => getMany.call(host.storage, keys).map((entry) => entry && { ...entry, value: huge });
  const fault = thrown(() => addon.messaging.unreadCount(as('v1-anna'), 'o1'), AddonFault);
  assert.equal(fault.reason, 'trap');
  assert.ok(fault.cause instanceof WebAssembly.RuntimeError);

  delete host.storage.get;
  delete host.storage.getMany;
  // jco marks a trapped instance and refuses every later call into it; a fresh one answers.
  assert.equal(addon.messaging.unreadCount(as('v1-anna'), 'o1'), 1);
  assert.equal(addon.instantiations, 2);
});
