// The errors of the package: what the addon refuses (`AddonError`), what breaks an instance
// (`AddonFault`), what a host's imports use to refuse a call (`StorageError`, `DeliveryError`,
// `DirectoryError`), and the wrapper's own checks (`ArgumentError`, `UnsafeIntegerError`).

/** The kinds of the addon's `error` variant (types.wit). */
export const ADDON_ERROR_KINDS = Object.freeze([
  'not-found',
  'forbidden',
  'invalid-input',
  'invalid-state',
  'conflict',
  'storage',
  'directory',
]);

/**
 * The addon refused an operation (a `result::err` of an export). A refused operation changed
 * nothing. `kind` is the case of the addon's `error` variant, `message` its text (for
 * `invalid-input`, the reason), `field` the rejected input for `invalid-input` (`undefined`
 * otherwise).
 */
export class AddonError extends Error {
  constructor(kind, message, field) {
    super(message);
    this.name = 'AddonError';
    this.kind = kind;
    this.field = field;
  }

  /** The error of the addon's `error` variant as jco lifts it (`{ tag, val }`). */
  static fromVariant(variant) {
    if (variant.tag === 'invalid-input') {
      return new AddonError(variant.tag, variant.val.reason, variant.val.field);
    }
    return new AddonError(variant.tag, variant.val);
  }
}

/**
 * A call did not finish normally: the guest trapped, called `exit`, or an import threw
 * something other than its typed refusal. The instance was dropped; the next call starts a
 * fresh one (the host's state, storage included, is as the imports left it).
 *
 * `reason` is `trap`, `exit` or `import`; `source` names the import for `import`
 * (e.g. `storage.commit`); `guestOutput` is what the guest printed during the call (a Rust
 * panic message, typically); `cause` is the original exception.
 */
export class AddonFault extends Error {
  constructor(reason, { source, cause, guestOutput = '', operation } = {}) {
    const where = source ? ` in ${source}` : '';
    const what = cause instanceof Error ? cause.message : String(cause);
    const printed = guestOutput.trim() ? `; the guest printed: ${guestOutput.trim()}` : '';
    super(`${operation ?? 'the call'} failed (${reason}${where}): ${what}${printed}`, { cause });
    this.name = 'AddonFault';
    this.reason = reason;
    this.source = source;
    this.guestOutput = guestOutput;
  }
}

/** Thrown by the WASI `exit` shim instead of ending the Node process. */
export class GuestExit extends Error {
  constructor(ok) {
    super(`the guest called exit (${ok ? 'success' : 'failure'})`);
    this.name = 'GuestExit';
    this.ok = ok;
  }
}

/**
 * Thrown by a host's `storage` to refuse a call with the `storage.error` the addon expects:
 * `conflict` (`detail` is the key whose check failed), `unavailable` or `failed`.
 * Anything else a storage method throws breaks the instance (see `AddonFault`).
 */
export class StorageError extends Error {
  constructor(kind, detail) {
    if (!['conflict', 'unavailable', 'failed'].includes(kind)) {
      throw new TypeError(`StorageError kind must be conflict, unavailable or failed, not ${kind}`);
    }
    super(`storage ${kind}: ${detail}`);
    this.name = 'StorageError';
    this.kind = kind;
    this.detail = detail;
  }
}

/**
 * Thrown by a host's `mail.send` or `notifications.push` to refuse a delivery: `unavailable`
 * (the addon keeps it and retries later) or `rejected` (the addon gives up on it).
 */
export class DeliveryError extends Error {
  constructor(kind, detail) {
    if (!['unavailable', 'rejected'].includes(kind)) {
      throw new TypeError(`DeliveryError kind must be unavailable or rejected, not ${kind}`);
    }
    super(`delivery ${kind}: ${detail}`);
    this.name = 'DeliveryError';
    this.kind = kind;
    this.detail = detail;
  }
}

/** Thrown by a host's `directory` methods to report that the directory failed. */
export class DirectoryError extends Error {
  constructor(detail) {
    super(`directory: ${detail}`);
    this.name = 'DirectoryError';
    this.detail = detail;
  }
}

/**
 * An export was called while another call of the same instance was running, i.e. from inside
 * one of its imports. The component model forbids entering an instance again (jco lets it
 * through, into a guest in the middle of a call); nothing was called.
 */
export class ReentrantCallError extends Error {
  constructor(operation, running) {
    super(`${operation} was called while ${running} is running (from inside an import): an instance cannot be entered again`);
    this.name = 'ReentrantCallError';
    this.operation = operation;
    this.running = running;
  }
}

/** An argument of a wrapper method does not have the type the WIT contract gives it. */
export class ArgumentError extends TypeError {
  constructor(path, expected, got) {
    super(`${path}: expected ${expected}, got ${describe(got)}`);
    this.name = 'ArgumentError';
    this.path = path;
    this.expected = expected;
  }
}

/**
 * A 64-bit value the addon returned is above `Number.MAX_SAFE_INTEGER` (or below its negative),
 * so it has no exact JavaScript number. The call itself completed.
 */
export class UnsafeIntegerError extends RangeError {
  constructor(path, value) {
    super(`${path} = ${value} is outside the range of exact JavaScript numbers (±${Number.MAX_SAFE_INTEGER})`);
    this.name = 'UnsafeIntegerError';
    this.path = path;
    this.value = value;
  }
}

function describe(value) {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}
