// jco gives every 64-bit value (u64, s64: sequence numbers, counts, timestamps, storage
// versions) as a BigInt, which `JSON.stringify` refuses and arithmetic with numbers rejects.
// The wrapper hands out plain numbers instead, and refuses a value no number holds exactly.

import { UnsafeIntegerError } from './errors.js';

/**
 * `value` with every BigInt inside it (in arrays and plain objects, at any depth) replaced by
 * the equal number. Converts in place: jco builds fresh objects for every call.
 *
 * @param {string} path names `value` in the error, e.g. `messaging.post()`
 * @throws {UnsafeIntegerError} for a BigInt beyond ±`Number.MAX_SAFE_INTEGER`
 */
export function toNumbers(value, path) {
  const trail = [];
  try {
    return convert(value, trail);
  } catch (e) {
    if (e instanceof Unsafe) throw new UnsafeIntegerError(path + trail.join(''), e.value);
    throw e;
  }
}

class Unsafe {
  constructor(value) {
    this.value = value;
  }
}

function convert(value, trail) {
  if (typeof value === 'bigint') return number(value);
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      trail.push(`[${i}]`);
      value[i] = convert(value[i], trail);
      trail.pop();
    }
    return value;
  }
  for (const key of Object.keys(value)) {
    trail.push(`.${key}`);
    value[key] = convert(value[key], trail);
    trail.pop();
  }
  return value;
}

const MAX = BigInt(Number.MAX_SAFE_INTEGER);

function number(big) {
  if (big > MAX || big < -MAX) {
    throw new Unsafe(big);
  }
  return Number(big);
}

/**
 * The BigInt jco needs for a 64-bit value a host gave as a number.
 *
 * @throws {TypeError} unless `n` is a whole number within ±`Number.MAX_SAFE_INTEGER`
 */
export function toBigInt(n, what) {
  if (!Number.isSafeInteger(n)) {
    throw new TypeError(`${what} must be a whole number within ±${Number.MAX_SAFE_INTEGER}, not ${String(n)}`);
  }
  return BigInt(n);
}
