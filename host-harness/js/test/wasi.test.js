// The WASI the guest gets: an empty environment, `exit` that throws instead of ending Node,
// output captured per call. The component never exits or reads its environment on its own, so
// a stand-in guest (glue whose exports call the WASI imports) drives the wrapper here.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { AddonFault, CompiledAddon, GuestExit, createMemoryHost, loadAddon } from '../index.js';
import { OutputSink, datetime, wasiImports } from '../src/wasi.js';
import { compiled } from './helpers.js';
import { thrown } from './thrown.js';

/** A CompiledAddon whose `maintenance.schemaVersion` runs `body(imports)`, as a guest would. */
function standIn(body) {
  const instantiate = (getCoreModule, imports) => ({
    maintenance: { schemaVersion: () => body(imports) },
  });
  return new CompiledAddon(instantiate, new Map(), compiled.manifest);
}

test('the guest sees an empty environment, whatever the host process has', async () => {
  process.env.ORDER_MESSAGES_TEST_SECRET = 'hunter2';
  let seen;
  const addon = await loadAddon({
    compiled: standIn((imports) => {
      seen = imports['wasi:cli/environment'].getEnvironment();
      return 1;
    }),
    ...createMemoryHost(),
  });
  addon.maintenance.schemaVersion();
  assert.deepEqual(seen, []);
  delete process.env.ORDER_MESSAGES_TEST_SECRET;
});

test("a guest's exit breaks the call, not the Node process; its output is kept", async () => {
  const addon = await loadAddon({
    compiled: standIn((imports) => {
      imports['wasi:cli/stderr'].getStderr().write(new TextEncoder().encode('giving up\n'));
      imports['wasi:cli/exit'].exit({ tag: 'err' });
      return 1;
    }),
    ...createMemoryHost(),
  });
  const fault = thrown(() => addon.maintenance.schemaVersion(), AddonFault);
  assert.equal(fault.reason, 'exit');
  assert.ok(fault.cause instanceof GuestExit);
  assert.equal(fault.cause.ok, false);
  assert.equal(fault.guestOutput, 'giving up\n');
  assert.match(fault.message, /the guest printed: giving up/);
  assert.equal(addon.guestOutput, 'giving up\n');
  // Still running, and the next call gets a fresh instance.
  assert.equal(addon.instantiations, 1);
  thrown(() => addon.maintenance.schemaVersion(), AddonFault);
  assert.equal(addon.instantiations, 2);
});

test('guest output is captured per call, stdout and stderr together', async () => {
  let call = 0;
  const addon = await loadAddon({
    compiled: standIn((imports) => {
      call += 1;
      const text = new TextEncoder();
      imports['wasi:cli/stdout'].getStdout().write(text.encode(`out ${call} `));
      imports['wasi:cli/stderr'].getStderr().write(text.encode(`err ${call}`));
      return call;
    }),
    ...createMemoryHost(),
  });
  addon.maintenance.schemaVersion();
  assert.equal(addon.guestOutput, 'out 1 err 1');
  addon.maintenance.schemaVersion();
  assert.equal(addon.guestOutput, 'out 2 err 2');
});

test('the output kept per call is bounded', () => {
  const sink = new OutputSink();
  const imports = wasiImports(() => datetime(0), sink);
  const stdout = imports['wasi:cli/stdout'].getStdout();
  const chunk = new Uint8Array(600 * 1024).fill(0x61);
  stdout.write(chunk);
  stdout.write(chunk);
  assert.equal(sink.take().length, 1 << 20);
  assert.equal(sink.take(), '');
});

test('the wall clock is WASI datetime of the host milliseconds; times before 1970 read as the epoch', () => {
  assert.deepEqual(datetime(1_767_258_000_123), { seconds: 1_767_258_000n, nanoseconds: 123_000_000 });
  assert.deepEqual(datetime(-5), { seconds: 0n, nanoseconds: 0 });
  assert.throws(() => datetime(1.5), TypeError);
});
