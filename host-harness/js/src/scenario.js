// Scenario files (host-harness/scenarios/*.toml) run through this host: the same format, checks
// and meaning as the Rust harness's runner (host-harness/src/cli/scenario.rs, whose module doc
// is the reference): a fresh in-memory host per file, the directory fixtures, a clock pinned at
// 2026-01-01T09:00:00Z that moves one minute before every step, and every expectation compared
// as the Rust runner compares it.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';

import { parse as parseToml } from 'smol-toml';

import { loadAddon } from './addon.js';
import { AddonError } from './errors.js';
import { createMemoryHost, installMarketplace, installPeople } from './memory-host.js';

/** A scenario file that cannot run: bad TOML, an unknown key, an argument an operation does not take… */
export class ScenarioError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = 'ScenarioError';
  }
}

// Value checks for the file's keys, as serde checks the Rust runner's structs.
const isString = (v) => typeof v === 'string';
const isBool = (v) => typeof v === 'boolean';
const isInteger = (v) => Number.isSafeInteger(v);
const isU64 = (v) => isInteger(v) && v >= 0;
const isU32 = (v) => isU64(v) && v <= 0xffff_ffff;
const isStrings = (v) => Array.isArray(v) && v.every(isString);
const TYPE_NAMES = new Map([
  [isString, 'a string'],
  [isBool, 'a boolean'],
  [isInteger, 'an integer'],
  [isU64, 'a non-negative integer'],
  [isU32, 'an integer from 0 to 4294967295'],
  [isStrings, 'a list of strings'],
]);

/** The operations (`do`), each with its arguments (besides `as`, `title`, `expect`) and whether it acts as a user. */
const OPERATIONS = {
  post: { args: ['order', 'body', 'key'], actor: true },
  thread: { args: ['order', 'mark', 'limit'], actor: true },
  'unread-count': { args: ['order'], actor: true },
  'mark-read': { args: ['order', 'orders', 'matching', 'filter', 'search'], actor: true },
  'mark-unread': { args: ['order', 'orders', 'matching', 'filter', 'search'], actor: true },
  inbox: { args: ['filter', 'search', 'unread_first', 'limit'], actor: true },
  bell: { args: [], actor: true },
  'open-dispute': { args: ['order', 'reason'], actor: true },
  'close-dispute': { args: ['order', 'note'], actor: true },
  'current-dispute': { args: ['order'], actor: true },
  'dispute-history': { args: ['order'], actor: true },
  orders: { args: ['with', 'orders'], actor: true },
  outbox: { args: ['dead'], actor: false },
  deliver: { args: [], actor: false },
  verify: { args: [], actor: false },
  'set-mode': { args: ['mode'], actor: false },
  advance: { args: ['minutes'], actor: false },
  'mail-fault': { args: ['fault'], actor: false },
};

const ARGUMENTS = {
  order: isString,
  orders: isStrings,
  body: isString,
  key: isString,
  reason: isString,
  note: isString,
  filter: isString,
  search: isString,
  unread_first: isBool,
  limit: isU32,
  mark: isBool,
  matching: isBool,
  with: isString,
  mode: isString,
  minutes: isInteger,
  fault: isString,
  dead: isBool,
};

/** Expectation keys, with how the runner compares them: as numbers, a list (in order), a set, or a boolean. */
const EXPECTATIONS = {
  seq: 'number',
  unread: 'number',
  disputes: 'number',
  orders: 'list',
  unread_orders: 'list',
  disputed_orders: 'list',
  count: 'number',
  number: 'number',
  open: 'bool',
  changed: 'number',
  authors: 'list',
  mails: 'number',
  mail_to: 'set',
  notify_to: 'set',
  delivered: 'number',
  dead: 'number',
  problems: 'number',
};
const EXPECTATION_TYPES = { number: isU64, list: isStrings, set: isStrings, bool: isBool };

const FILTERS = { all: 'all', unread: 'unread', disputes: 'open-disputes', 'open-disputes': 'open-disputes' };
const MESSAGE_FILTERS = {
  messages: 'with-messages',
  'with-messages': 'with-messages',
  unread: 'with-unread',
  'with-unread': 'with-unread',
};
const MODES = ['separate-shops', 'warehouse'];

/** Stops a loop over an export that keeps returning a cursor (as the Rust runner does). */
const MAX_CALLS = 100_000;

/** Parses and checks a scenario. */
export function parseScenario(text, file) {
  let data;
  try {
    data = parseToml(text);
  } catch (e) {
    throw new ScenarioError(`${file ?? 'scenario'}: ${e.message}`, { cause: e });
  }
  try {
    return checkScenario(data, file);
  } catch (e) {
    if (e instanceof ScenarioError && file) throw new ScenarioError(`in ${file}: ${e.message}`);
    throw e;
  }
}

/** Reads, parses and checks a scenario file. */
export function loadScenario(path) {
  return parseScenario(readFileSync(path, 'utf8'), path);
}

/** The files to run: each file given, and the `*.toml` files of each folder given, sorted. */
export function scenarioFiles(paths) {
  const files = [];
  for (const path of paths) {
    if (statSync(path).isDirectory()) {
      const found = readdirSync(path)
        .filter((f) => extname(f) === '.toml')
        .sort()
        .map((f) => join(path, f));
      if (found.length === 0) throw new ScenarioError(`${path} holds no *.toml scenario files`);
      files.push(...found);
    } else {
      files.push(path);
    }
  }
  return files;
}

function checkScenario(data, file) {
  const top = {
    name: isString,
    description: isString,
    directory: isString,
    mode: isString,
    staff: Array.isArray,
    vendors: Array.isArray,
    customers: Array.isArray,
    orders: Array.isArray,
    step: Array.isArray,
  };
  checkTable(data, top, 'the scenario');
  const directory = data.directory ?? 'marketplace';
  if (!['marketplace', 'empty'].includes(directory)) {
    throw new ScenarioError(`unknown directory \`${directory}\` (marketplace or empty)`);
  }
  if (data.mode !== undefined) parseMode(data.mode);
  const user = { id: isString, name: isString };
  (data.staff ?? []).forEach((s, i) => checkTable(s, user, `staff ${i + 1}`, ['id', 'name']));
  (data.customers ?? []).forEach((c, i) => checkTable(c, user, `customer ${i + 1}`, ['id', 'name']));
  (data.vendors ?? []).forEach((v, i) => {
    checkTable(v, { ...user, users: Array.isArray }, `vendor ${i + 1}`, ['id', 'name']);
    (v.users ?? []).forEach((u, j) => checkTable(u, user, `vendor ${i + 1} user ${j + 1}`, ['id', 'name']));
  });
  (data.orders ?? []).forEach((o, i) =>
    checkTable(o, { id: isString, number: isString, customer: isString, vendor: isString }, `order ${i + 1}`, [
      'id',
      'number',
      'customer',
    ]),
  );
  const steps = data.step ?? [];
  if (steps.length === 0) throw new ScenarioError('the scenario has no steps ([[step]])');
  steps.forEach((step, i) => checkStep(step, i));
  return {
    name: data.name ?? (file ? basename(file, extname(file)) : 'scenario'),
    description: data.description,
    directory,
    mode: data.mode,
    staff: data.staff ?? [],
    vendors: data.vendors ?? [],
    customers: data.customers ?? [],
    orders: data.orders ?? [],
    steps,
    file,
  };
}

function checkStep(step, index) {
  const at = () => `step ${index + 1} (${label(step)})`;
  const fields = { title: isString, as: isString, do: isString, expect: isTable, ...ARGUMENTS };
  checkTable(step, fields, `step ${index + 1}`, ['do']);
  const op = OPERATIONS[step.do];
  if (op === undefined) {
    throw new ScenarioError(`step ${index + 1}: unknown operation \`${step.do}\` (${Object.keys(OPERATIONS).join(', ')})`);
  }
  if (op.actor && step.as === undefined) throw new ScenarioError(`${at()}: \`${step.do}\` needs \`as\` (the acting user)`);
  if (!op.actor && step.as !== undefined) throw new ScenarioError(`${at()}: \`${step.do}\` takes no \`as\``);
  for (const arg of Object.keys(ARGUMENTS)) {
    if (step[arg] !== undefined && !op.args.includes(arg)) {
      const takes = op.args.length === 0 ? 'nothing' : op.args.join(', ');
      throw new ScenarioError(`${at()}: \`${step.do}\` takes no \`${arg}\` (it takes: ${takes})`);
    }
  }
  if (step.filter !== undefined) wrap(at, () => parseFilter(step.filter));
  if (step.with !== undefined) wrap(at, () => parseMessageFilter(step.with));
  if (step.mode !== undefined) wrap(at, () => parseMode(step.mode));
  const expect = step.expect ?? {};
  const expectations = { error: isString, error_field: isString };
  for (const [key, how] of Object.entries(EXPECTATIONS)) expectations[key] = EXPECTATION_TYPES[how];
  checkTable(expect, expectations, `step ${index + 1} expect`);
  if (expect.error_field !== undefined && expect.error === undefined) {
    throw new ScenarioError(`${at()}: \`error_field\` needs \`error = "invalid-input"\``);
  }
}

function isTable(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date);
}

/** Unknown keys and values of the wrong type make the file invalid, as serde's `deny_unknown_fields` does. */
function checkTable(table, fields, what, required = []) {
  if (!isTable(table)) throw new ScenarioError(`${what}: expected a table`);
  for (const [key, value] of Object.entries(table)) {
    const check = fields[key];
    if (check === undefined) {
      throw new ScenarioError(`${what}: unknown key \`${key}\` (expected one of: ${Object.keys(fields).join(', ')})`);
    }
    if (!check(value)) {
      throw new ScenarioError(`${what}: \`${key}\` must be ${TYPE_NAMES.get(check) ?? 'a table or list'}`);
    }
  }
  for (const key of required) {
    if (table[key] === undefined) throw new ScenarioError(`${what}: missing \`${key}\``);
  }
}

function wrap(at, f) {
  try {
    return f();
  } catch (e) {
    throw new ScenarioError(`${at()}: ${e.message}`);
  }
}

function parseFilter(s) {
  if (!(s in FILTERS)) throw new ScenarioError(`unknown inbox filter \`${s}\` (all, unread or disputes)`);
  return FILTERS[s];
}

function parseMessageFilter(s) {
  if (!(s in MESSAGE_FILTERS)) throw new ScenarioError(`unknown order filter \`${s}\` (messages or unread)`);
  return MESSAGE_FILTERS[s];
}

function parseMode(s) {
  if (!MODES.includes(s)) throw new ScenarioError(`unknown multivendor mode \`${s}\` (separate-shops or warehouse)`);
  return s;
}

/** The step's title, or `c1 post o1`. */
function label(step) {
  if (step.title !== undefined) return step.title;
  return [step.as, step.do, step.order].filter((p) => p !== undefined).join(' ');
}

/**
 * Sets up a fresh in-memory host and runs every step (a failing step does not stop the run).
 * Returns `{ file, name, passed, steps: [{ index, title, passed, outcome, failures }] }`.
 *
 * @param {object} [options]
 * @param {import('./addon.js').CompiledAddon} [options.compiled] the component (default: `dist/`)
 * @throws {Error} when the set-up is inconsistent (an order for an unknown customer) or the
 *   component cannot be instantiated
 */
export async function runScenario(scenario, { compiled } = {}) {
  const host = createMemoryHost();
  if (scenario.directory === 'marketplace') installMarketplace(host.directory);
  if (scenario.mode !== undefined) host.directory.setMode(scenario.mode);
  installPeople(host.directory, scenario);
  const addon = await loadAddon({ compiled, ...host });
  const steps = scenario.steps.map((step, i) => {
    host.clock.advance(60_000);
    let observed;
    let error;
    try {
      observed = perform(addon, host, step);
    } catch (e) {
      error = e;
    }
    const mails = host.mail.takeNew();
    const pushes = host.notifications.takeNew();
    let outcome;
    let failures;
    if (error === undefined) {
      observed.mails = mails.length;
      observed.mail_to = union(mails.map((m) => m.recipients));
      observed.notify_to = union(pushes.filter((p) => p.event.tag !== 'counts-changed').map((p) => p.recipients));
      outcome = observed.summary;
      failures = compare(step.expect ?? {}, observed, step.do);
    } else {
      outcome = `host error: ${error.message}`;
      failures = [error.message];
    }
    return { index: i + 1, title: label(step), passed: failures.length === 0, outcome, failures };
  });
  return { file: scenario.file, name: scenario.name, passed: steps.every((s) => s.passed), steps };
}

function union(lists) {
  return [...new Set(lists.flat())].sort();
}

/** Runs the step; a refusal is observed (`refusal`), not thrown. */
function perform(addon, host, step) {
  const seen = {};
  let actor;
  if (step.as !== undefined) {
    actor = host.directory.actor(step.as);
    if (actor === undefined) throw new Error(`no user \`${step.as}\` in the directory`);
  }
  try {
    act(addon, host, step, actor, seen);
  } catch (e) {
    if (!(e instanceof AddonError)) throw e;
    seen.refusal = e;
    seen.summary = `refused: ${describe(e)}`;
  }
  return seen;
}

function describe(e) {
  return e.kind === 'invalid-input' ? `invalid-input: ${e.field}: ${e.message}` : `${e.kind}: ${e.message}`;
}

function need(step, name) {
  if (step[name] === undefined) throw new Error(`\`${step.do}\` needs \`${name}\``);
  return step[name];
}

/** The largest page to ask the addon for: the directory's `maxPageSize`, within the addon's ceiling of 500. */
function pageCap(host) {
  return Math.min(Math.max(host.directory.getSettings().limits.maxPageSize, 1), 500);
}

function act(addon, host, step, actor, seen) {
  switch (step.do) {
    case 'post': {
      const m = addon.messaging.post(actor, { orderId: need(step, 'order'), body: need(step, 'body'), idempotencyKey: step.key });
      seen.seq = m.seq;
      seen.summary = `posted #${m.seq}`;
      break;
    }
    case 'thread': {
      const page = addon.messaging.readThread(actor, {
        orderId: need(step, 'order'),
        direction: 'oldest-first',
        limit: step.limit ?? 100,
        markRead: step.mark ?? true,
      });
      seen.count = page.messageCount;
      seen.unread = page.unreadCount;
      seen.open = page.disputeOpen;
      seen.authors = page.messages.map((m) => m.authorId);
      seen.summary = `${page.messageCount} messages, ${page.unreadCount} were unread`;
      break;
    }
    case 'unread-count': {
      const n = addon.messaging.unreadCount(actor, need(step, 'order'));
      seen.unread = n;
      seen.summary = `${n} unread`;
      break;
    }
    case 'mark-read':
    case 'mark-unread': {
      const read = step.do === 'mark-read';
      if (step.matching === true) {
        const query = { filter: parseFilter(step.filter ?? 'all'), search: step.search ?? '' };
        let changed = 0;
        let calls = 0;
        let cursor;
        do {
          const result = addon.inbox.markMatching(actor, query, read, cursor);
          changed += result.changed;
          calls += 1;
          cursor = result.nextCursor;
        } while (cursor != null && calls < MAX_CALLS);
        seen.changed = changed;
        seen.summary = `${changed} changed in ${calls} calls`;
      } else if (step.orders !== undefined) {
        // One call marks a bounded batch and returns a cursor while more remain.
        let changed = 0;
        let calls = 0;
        let cursor;
        do {
          const result = addon.inbox.markSelected(actor, step.orders, read, cursor);
          changed += result.changed;
          calls += 1;
          cursor = result.nextCursor;
        } while (cursor != null && calls < MAX_CALLS);
        seen.changed = changed;
        seen.summary = `${changed} changed`;
      } else {
        const order = need(step, 'order');
        if (read) addon.messaging.markRead(actor, order);
        else addon.messaging.markUnread(actor, order);
        seen.summary = 'marked';
      }
      break;
    }
    case 'inbox': {
      const query = { filter: parseFilter(step.filter ?? 'all'), search: step.search ?? '' };
      const sort = step.unread_first ? 'unread-first' : 'newest-first';
      const rows = inboxRows(addon, actor, query, sort, step.limit, pageCap(host));
      const ids = (keep) => rows.filter(keep).map((r) => r.orderId);
      seen.orders = ids(() => true);
      seen.unread_orders = ids((r) => r.unread);
      seen.disputed_orders = ids((r) => r.disputeOpen);
      seen.count = rows.length;
      seen.summary = `${rows.length} threads: ${seen.orders.join(', ')}`;
      break;
    }
    case 'bell': {
      const c = addon.inbox.bell(actor);
      seen.unread = c.unreadThreads;
      seen.disputes = c.openDisputes;
      seen.summary = `${c.unreadThreads} unread threads, ${c.openDisputes} open disputes`;
      break;
    }
    case 'open-dispute': {
      const d = addon.disputes.open(actor, need(step, 'order'), need(step, 'reason'));
      seen.number = d.number;
      seen.summary = `dispute #${d.number} opened`;
      break;
    }
    case 'close-dispute': {
      const d = addon.disputes.close(actor, need(step, 'order'), step.note);
      seen.number = d.number;
      seen.summary = `dispute #${d.number} closed`;
      break;
    }
    case 'current-dispute': {
      const d = addon.disputes.current(actor, need(step, 'order'));
      seen.open = d != null;
      seen.number = d?.number;
      seen.summary = d != null ? `dispute #${d.number} open` : 'no open dispute';
      break;
    }
    case 'dispute-history': {
      const all = addon.disputes.history(actor, need(step, 'order'));
      seen.count = all.length;
      seen.number = all.at(-1)?.number;
      seen.summary = `${all.length} disputes`;
      break;
    }
    case 'orders': {
      const filter = parseMessageFilter(need(step, 'with'));
      const ids =
        step.orders !== undefined
          ? addon.orderFilter.filter(actor, step.orders, filter)
          : allOrders(addon, actor, filter, pageCap(host));
      seen.count = ids.length;
      seen.orders = ids;
      seen.summary = `orders: ${ids.join(', ')}`;
      break;
    }
    case 'outbox': {
      const entries = [];
      let cursor;
      let calls = 0;
      do {
        const [page, next] = addon.maintenance.listOutbox(step.dead ?? false, cursor, 500);
        entries.push(...page);
        cursor = next;
        calls += 1;
      } while (cursor != null && calls < MAX_CALLS);
      seen.count = entries.length;
      seen.summary = `${entries.length} entries`;
      break;
    }
    case 'deliver': {
      const totals = { delivered: 0, deferred: 0, dead: 0 };
      for (let calls = 0; calls < MAX_CALLS; calls++) {
        const report = addon.maintenance.deliverPending(100);
        totals.delivered += report.delivered;
        totals.deferred += report.deferred;
        totals.dead += report.dead;
        // Stop when nothing remains, or when a call made no progress (everything failed for now).
        if (!report.more || report.delivered + report.dead === 0) break;
      }
      seen.delivered = totals.delivered;
      seen.dead = totals.dead;
      seen.summary = `${totals.delivered} delivered, ${totals.deferred} deferred, ${totals.dead} dead`;
      break;
    }
    case 'verify': {
      let checked = 0;
      let problems = 0;
      const listed = [];
      let cursor;
      let calls = 0;
      do {
        const report = addon.maintenance.verify(cursor, 500);
        checked += report.checked;
        problems += report.problems.length + report.moreProblems;
        listed.push(...report.problems.slice(0, 5 - listed.length).map((p) => `${p.key}: ${p.detail}`));
        cursor = report.nextCursor;
        calls += 1;
      } while (cursor != null && calls < MAX_CALLS);
      seen.problems = problems;
      seen.count = checked;
      seen.summary = `${checked} records checked, ${problems} problems${listed.length ? ` (${listed.join('; ')})` : ''}`;
      break;
    }
    case 'set-mode': {
      const mode = parseMode(need(step, 'mode'));
      host.directory.setMode(mode);
      seen.summary = `mode ${mode}`;
      break;
    }
    case 'advance': {
      const minutes = need(step, 'minutes');
      host.clock.advance(minutes * 60_000);
      seen.summary = `clock moved ${minutes} minutes`;
      break;
    }
    case 'mail-fault': {
      const fault = need(step, 'fault');
      if (fault === 'unavailable' || fault === 'rejected') host.mail.failAlways(fault);
      else if (fault === 'none') host.mail.recover();
      else throw new Error(`unknown mail fault \`${fault}\` (unavailable, rejected or none)`);
      seen.summary = 'mail fault set';
      break;
    }
    default:
      throw new Error(`unknown operation \`${step.do}\``);
  }
}

/**
 * Inbox rows: with `limit`, up to that many from the first page on, calling `list-threads`
 * (at most `cap` rows a call) until the page is full or the list ends (the addon may return
 * short pages while a cursor remains); without, every row, in pages of `cap`.
 */
function inboxRows(addon, actor, query, sort, limit, cap) {
  const rows = [];
  let cursor;
  for (let calls = 0; calls < MAX_CALLS; calls++) {
    const want = limit === undefined ? cap : Math.min(limit - rows.length, cap);
    if (want <= 0) break;
    const page = addon.inbox.listThreads(actor, { query, sort, cursor, limit: want });
    rows.push(...page.rows);
    cursor = page.nextCursor;
    if (cursor == null) break;
  }
  return rows;
}

/** Every order matching `filter` the actor reaches (`list-orders`, `cap` a call). */
function allOrders(addon, actor, filter, cap) {
  const ids = [];
  let cursor;
  for (let calls = 0; calls < MAX_CALLS; calls++) {
    const page = addon.orderFilter.listOrders(actor, filter, cursor, cap);
    ids.push(...page.orderIds);
    cursor = page.nextCursor;
    if (cursor == null) break;
  }
  return ids;
}

/** The expectations of `expect` that `seen` breaks, worded as the Rust runner words them. */
function compare(expect, seen, op) {
  const failures = [];
  const refusal = seen.refusal;
  if (expect.error === undefined && refusal !== undefined) {
    failures.push(`expected success, got ${describe(refusal)}`);
  } else if (expect.error !== undefined && refusal === undefined) {
    failures.push(`expected a \`${expect.error}\` refusal, got success`);
  } else if (expect.error !== undefined) {
    if (refusal.kind !== expect.error) failures.push(`expected a \`${expect.error}\` refusal, got ${describe(refusal)}`);
    if (expect.error_field !== undefined && !(refusal.kind === 'invalid-input' && refusal.field === expect.error_field)) {
      failures.push(`expected invalid input in \`${expect.error_field}\`, got ${describe(refusal)}`);
    }
  }
  for (const [name, how] of Object.entries(EXPECTATIONS)) {
    if (expect[name] === undefined) continue;
    const expected = show(expect[name], how);
    const observed = seen[name] === undefined ? undefined : show(seen[name], how);
    if (observed === expected) continue;
    if (observed !== undefined) failures.push(`expected ${name} ${expected}, got ${observed}`);
    else if (refusal !== undefined) failures.push(`expected ${name} ${expected}, but the step was refused`);
    else failures.push(`expected ${name} ${expected}, but \`${op}\` does not report \`${name}\``);
  }
  return failures;
}

/** A value as the Rust runner prints it (Rust's `Debug` of a list or a set of strings). */
function show(value, how) {
  const quoted = (items) => items.map((item) => JSON.stringify(item)).join(', ');
  if (how === 'list') return `[${quoted(value)}]`;
  if (how === 'set') return `{${quoted([...new Set(value)].sort())}}`;
  return String(value);
}

/** A report as text: one line per step, the failures under it. */
export function reportText(report) {
  const lines = [`${report.passed ? 'PASS' : 'FAIL'} ${report.name}${report.file ? ` (${report.file})` : ''}`];
  for (const step of report.steps) {
    lines.push(`  ${step.passed ? 'ok  ' : 'FAIL'} ${String(step.index).padStart(2)}. ${step.title} — ${step.outcome}`);
    for (const failure of step.failures) lines.push(`          ✗ ${failure}`);
  }
  return `${lines.join('\n')}\n`;
}
