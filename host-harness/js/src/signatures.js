// The addon's exports as the wrapper offers them (interface → function → parameter types, in
// jco's JavaScript shapes: camelCase fields, enums as strings, variants as `{ tag, val }`,
// options as a value or `undefined`/`null`), and the checks that give a caller who passes a
// wrong shape a clear `ArgumentError` before anything reaches the component.

import { ArgumentError } from './errors.js';

const string = (value, path) => {
  if (typeof value !== 'string') throw new ArgumentError(path, 'a string', value);
};

const bool = (value, path) => {
  if (typeof value !== 'boolean') throw new ArgumentError(path, 'a boolean', value);
};

const u32 = (value, path) => {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
    throw new ArgumentError(path, 'a whole number from 0 to 4294967295', value);
  }
};

const option = (inner) => (value, path) => {
  if (value !== undefined && value !== null) inner(value, path);
};

const list = (inner) => (value, path) => {
  if (!Array.isArray(value)) throw new ArgumentError(path, 'an array', value);
  value.forEach((item, i) => inner(item, `${path}[${i}]`));
};

const enumOf = (...cases) => (value, path) => {
  if (!cases.includes(value)) throw new ArgumentError(path, `one of ${cases.join(', ')}`, value);
};

/** A record: every field checked, and no field the record does not have (a typo would be lost). */
const record = (fields) => (value, path) => {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ArgumentError(path, 'an object', value);
  }
  for (const key of Object.keys(value)) {
    if (!(key in fields)) {
      throw new ArgumentError(`${path}.${key}`, `no such field (fields: ${Object.keys(fields).join(', ')})`, value[key]);
    }
  }
  for (const [key, check] of Object.entries(fields)) check(value[key], `${path}.${key}`);
};

/** A variant `{ tag, val }`; a case without payload is `null` in `cases`. */
const variant = (cases) => (value, path) => {
  if (value === null || typeof value !== 'object' || !(value.tag in cases)) {
    throw new ArgumentError(path, `{ tag: ${Object.keys(cases).join(' | ')} }`, value);
  }
  const payload = cases[value.tag];
  if (payload !== null) payload(value.val, `${path}.val`);
};

const orderId = string;

const actor = record({
  id: string,
  role: variant({ customer: null, vendor: string, admin: null }),
  displayName: string,
});

const query = record({ filter: enumOf('all', 'unread', 'open-disputes'), search: string });

const cursor = option(string);

/** Every export: `interface → function → [parameter name, check]…`. */
export const EXPORTS = {
  messaging: {
    post: [
      ['actor', actor],
      ['request', record({ orderId, body: string, idempotencyKey: option(string) })],
    ],
    readThread: [
      ['actor', actor],
      [
        'request',
        record({
          orderId,
          direction: enumOf('oldest-first', 'newest-first'),
          cursor,
          limit: u32,
          markRead: bool,
        }),
      ],
    ],
    unreadCount: [['actor', actor], ['orderId', orderId]],
    markRead: [['actor', actor], ['orderId', orderId]],
    markUnread: [['actor', actor], ['orderId', orderId]],
  },
  inbox: {
    listThreads: [
      ['actor', actor],
      ['request', record({ query, sort: enumOf('newest-first', 'unread-first'), cursor, limit: u32 })],
    ],
    bell: [['actor', actor]],
    markSelected: [['actor', actor], ['orderIds', list(orderId)], ['read', bool], ['cursor', cursor]],
    markMatching: [['actor', actor], ['query', query], ['read', bool], ['cursor', cursor]],
  },
  disputes: {
    open: [['actor', actor], ['orderId', orderId], ['reason', string]],
    close: [['actor', actor], ['orderId', orderId], ['resolution', option(string)]],
    current: [['actor', actor], ['orderId', orderId]],
    history: [['actor', actor], ['orderId', orderId]],
  },
  orderFilter: {
    filter: [['actor', actor], ['orderIds', list(orderId)], ['filter', enumOf('with-messages', 'with-unread')]],
    listOrders: [
      ['actor', actor],
      ['filter', enumOf('with-messages', 'with-unread')],
      ['cursor', cursor],
      ['limit', u32],
    ],
  },
  maintenance: {
    deliverPending: [['limit', u32]],
    listOutbox: [['dead', bool], ['cursor', cursor], ['limit', u32]],
    verify: [['cursor', cursor], ['limit', u32]],
    schemaVersion: [],
    migrate: [['cursor', cursor], ['limit', u32]],
  },
};

/** Throws an `ArgumentError` unless `args` fit `params` (no more arguments than parameters). */
export function checkArguments(operation, params, args) {
  if (args.length > params.length) {
    throw new ArgumentError(operation, `at most ${params.length} argument(s)`, args.length);
  }
  params.forEach(([name, check], i) => check(args[i], `${operation}: ${name}`));
}
