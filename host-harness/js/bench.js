#!/usr/bin/env node
// What the component costs a Node host through jco, to put beside wasmtime's numbers in
// BENCHMARKS.md: instantiation (cold: transpile + compile + instantiate, in a fresh process;
// from dist/: what an application pays at start; warm: from a compiled component), a post,
// and an inbox page of 25 rows over ~1,000 threads. Each call is timed on its own; median,
// p99 and mean over --iterations calls after a warm-up.
//
//   node bench.js [--threads 1000] [--messages 10000] [--iterations 200] [--cold-runs 5] [--json FILE]
//   node bench.js --smoke      (small and quick: checks the benchmark runs; numbers mean little)

import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { Actor, Addon, compileAddon, createMemoryHost } from './index.js';
import { DIST_DIR, GLUE } from './src/transpile.js';

const { values: options } = parseArgs({
  options: {
    threads: { type: 'string', default: '1000' },
    messages: { type: 'string', default: '10000' },
    iterations: { type: 'string', default: '200' },
    'cold-runs': { type: 'string', default: '5' },
    json: { type: 'string' },
    smoke: { type: 'boolean', default: false },
    // Internal: one cold start in this (fresh) process, printed as JSON.
    'cold-once': { type: 'string' },
  },
});

if (options['cold-once'] !== undefined) {
  console.log(JSON.stringify(await coldStart(options['cold-once'])));
  process.exit(0);
}

const smoke = options.smoke;
const threads = smoke ? 100 : count(options.threads);
const messages = smoke ? 300 : count(options.messages);
const iterations = smoke ? 5 : count(options.iterations);
const coldRuns = smoke ? 1 : count(options['cold-runs']);
const warmup = Math.min(20, iterations);

function count(text) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`\`${text}\` is not a positive whole number`);
  return n;
}

/** One cold start, in stages: `wasm` = transpile the component now; `dist` = load what the build transpiled. */
async function coldStart(from) {
  const manifest = JSON.parse(readFileSync(join(DIST_DIR, 'manifest.json'), 'utf8'));
  const started = performance.now();
  const compiled = from === 'wasm' ? await compileAddon({ wasm: manifest.component }) : await compileAddon();
  const loaded = performance.now();
  const addon = new Addon(compiled, createMemoryHost());
  const instantiated = performance.now();
  addon.maintenance.schemaVersion();
  return { compile: loaded - started, instantiate: instantiated - loaded, total: instantiated - started };
}

function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return { p50: at(0.5), p99: at(0.99), mean: sorted.reduce((a, b) => a + b, 0) / sorted.length, n: sorted.length };
}

/** Times `call(i)` once per iteration (after a warm-up), in milliseconds. */
function time(call) {
  for (let i = 0; i < warmup; i++) call(i);
  const samples = [];
  for (let i = 0; i < iterations; i++) {
    const started = process.hrtime.bigint();
    call(i);
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return stats(samples);
}

/** A small deterministic generator (xorshift32), so every run seeds the same data. */
function random(seed) {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

const WORDS = `battery drill parcel invoice refund cover edition delivery tracking courier address
  warehouse missing broken late early colour size return label receipt discount voucher order
  payment card bank transfer shipping express standard box damaged wet scratched replacement
  manual charger cable screen keyboard book novel chapter author signed paperback hardcover`.split(/\s+/);

/**
 * The data set, shaped like the Rust benchmark's (host-harness/src/seed.rs), not identical to
 * it: `threads` orders (1 vendor per 100, 1 customer per 4, 10 % sold by the store), `messages`
 * posts in all through the component (each thread's first by its customer, then customer and
 * the other party, the vendor's user or staff for store orders, at random), bodies of 8-20
 * words; after half of the posts the other party reads the thread; ~5 % of threads get a
 * dispute opened by the customer, 60 % of those closed again by staff. The clock moves
 * 1-120 s before every call.
 */
function seed(addon, host) {
  const pick = random(1);
  const vendors = Math.max(1, Math.floor(threads / 100));
  const customers = Math.max(1, Math.floor(threads / 4));
  host.directory.register(Actor.admin('s1', 'Sam'));
  host.directory.register(Actor.admin('s2', 'Sara'));
  for (let v = 0; v < vendors; v++) {
    host.directory.addVendor(`v${v}`, `Vendor ${v}`);
    host.directory.register(Actor.vendor(`v${v}-user`, `v${v}`, `Vendor user ${v}`));
  }
  for (let c = 0; c < customers; c++) host.directory.register(Actor.customer(`c${c}`, `Customer ${c}`));
  const parties = [];
  for (let o = 0; o < threads; o++) {
    const customer = `c${pick(customers)}`;
    const storeOrder = pick(10) === 0;
    const vendor = `v${pick(vendors)}`;
    host.directory.addOrder({
      id: `o${o}`,
      number: String(10_000 + o),
      customerId: customer,
      customerName: host.directory.actor(customer).displayName,
      ...(storeOrder ? {} : { vendorId: vendor, vendorName: host.directory.vendorName(vendor) }),
    });
    parties.push([host.directory.actor(customer), host.directory.actor(storeOrder ? 's1' : `${vendor}-user`)]);
  }
  const body = () => Array.from({ length: 8 + pick(13) }, () => WORDS[pick(WORDS.length)]).join(' ');
  // Per thread: undefined (no dispute yet), 'open-to-close', 'open' (stays open), 'done'.
  const disputes = new Array(threads);
  const openChance = Math.round((0.05 * threads * 1e6) / Math.max(1, messages - threads));
  const staff = host.directory.actor('s1');
  let calls = 0;
  const tick = () => {
    host.clock.advance(1_000 + pick(119_000));
    if (++calls % 1_000 === 0) {
      host.mail.clear();
      host.notifications.clear();
    }
  };
  const started = performance.now();
  for (let posted = 0; posted < messages; posted++) {
    const first = posted < threads;
    const order = first ? posted : pick(threads);
    const orderId = `o${order}`;
    const [customer, other] = parties[order];
    if (!first && disputes[order] === undefined && pick(1e6) < openChance) {
      tick();
      addon.disputes.open(customer, orderId, body());
      disputes[order] = pick(10) < 6 ? 'open-to-close' : 'open';
    } else if (disputes[order] === 'open-to-close' && pick(3) === 0) {
      tick();
      addon.disputes.close(staff, orderId, body());
      disputes[order] = 'done';
    }
    const author = first || pick(2) === 0 ? customer : other;
    tick();
    addon.messaging.post(author, { orderId, body: body() });
    if (pick(2) === 0) {
      tick();
      addon.messaging.markRead(author === customer ? other : customer, orderId);
    }
  }
  return { seconds: (performance.now() - started) / 1000, calls, parties, body, pick };
}

function coldStarts(from) {
  const script = fileURLToPath(import.meta.url);
  const runs = [];
  for (let i = 0; i < coldRuns; i++) {
    runs.push(JSON.parse(execFileSync(process.execPath, [script, '--cold-once', from], { encoding: 'utf8' })));
  }
  const median = (key) => stats(runs.map((r) => r[key])).p50;
  return { compile: median('compile'), instantiate: median('instantiate'), total: median('total'), runs: runs.length };
}

const ms = (v) => (v >= 1 ? `${v.toFixed(2)} ms` : `${(v * 1000).toFixed(1)} µs`);
const row = (name, s) => `${name.padEnd(34)} ${ms(s.p50).padStart(10)} ${ms(s.p99).padStart(10)} ${ms(s.mean).padStart(10)}`;

const manifest = JSON.parse(readFileSync(join(DIST_DIR, 'manifest.json'), 'utf8'));
const glueBytes = statSync(join(DIST_DIR, GLUE)).size;
const results = {
  machine: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
  node: process.version,
  transpiler: manifest.transpiler,
  component: { path: manifest.component, bytes: manifest.bytes },
  glue: { bytes: glueBytes },
  iterations,
};

console.log(`# order-messages in Node through jco${smoke ? ' (smoke run: numbers mean little)' : ''}`);
console.log(`${results.machine}; Node ${process.version}; ${manifest.transpiler}; ${iterations} calls per operation`);
console.log(`component ${manifest.bytes} bytes; JS glue ${glueBytes} bytes (${(glueBytes / 1024).toFixed(0)} KiB)`);

results.cold = { fromWasm: coldStarts('wasm'), fromDist: coldStarts('dist') };
const { fromWasm, fromDist } = results.cold;
console.log(
  `cold start, transpiling (median of ${fromWasm.runs} fresh processes): ${ms(fromWasm.total)} ` +
    `(transpile + import glue + compile ${ms(fromWasm.compile)}, instantiate ${ms(fromWasm.instantiate)})`,
);
console.log(
  `cold start from dist/ (median of ${fromDist.runs}): ${ms(fromDist.total)} ` +
    `(import glue + compile ${ms(fromDist.compile)}, instantiate ${ms(fromDist.instantiate)})`,
);

const compiled = await compileAddon();
const host = createMemoryHost();
const addon = new Addon(compiled, host);
const seeded = seed(addon, host);
results.seed = { threads, messages, keys: host.storage.size, calls: seeded.calls, seconds: seeded.seconds };
console.log(
  `seeded ${threads} threads, ${messages} messages (${host.storage.size} keys) through the component: ` +
    `${seeded.calls} calls in ${seeded.seconds.toFixed(1)} s, ${Math.round(seeded.calls / seeded.seconds)} calls/s`,
);

console.log(`${'operation'.padEnd(34)} ${'p50'.padStart(10)} ${'p99'.padStart(10)} ${'mean'.padStart(10)}`);
const operations = {};
const record = (name, call) => {
  operations[name] = time(call);
  console.log(row(name, operations[name]));
};
record('instantiate (new Addon, warm)', () => new Addon(compiled, host));
const inbox = { query: { filter: 'all', search: '' }, sort: 'newest-first', limit: 25 };
const staff = Actor.admin('s1', 'Sam');
const vendorUser = host.directory.actor('v0-user');
const customer = seeded.parties[0][0];
record('inbox page (25) staff all', () => addon.inbox.listThreads(staff, inbox));
record('inbox page (25) vendor all', () => addon.inbox.listThreads(vendorUser, inbox));
record('inbox page (25) customer all', () => addon.inbox.listThreads(customer, inbox));
record('post', () => {
  const order = seeded.pick(threads);
  host.clock.advance(1_000);
  addon.messaging.post(seeded.parties[order][seeded.pick(2)], { orderId: `o${order}`, body: seeded.body() });
});
record('bell staff', () => addon.inbox.bell(staff));
results.operations = operations;
if (addon.instantiations !== 1) throw new Error(`the benchmark's addon was instantiated ${addon.instantiations} times`);

if (options.json) {
  writeFileSync(options.json, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`results in ${options.json}`);
}
