// The typed wrapper over jco's glue: `compileAddon` (glue + compiled core modules, once per
// process) and `loadAddon`/`Addon` (one instance over a host's imports, re-instantiated after
// a fault). What it hides of jco is listed in README.md ("The quirks it hides").

import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import {
  ADDON_ERROR_KINDS,
  AddonError,
  AddonFault,
  DeliveryError,
  DirectoryError,
  GuestExit,
  ReentrantCallError,
  StorageError,
} from './errors.js';
import { toBigInt, toNumbers } from './numbers.js';
import { EXPORTS, checkArguments } from './signatures.js';
import {
  CONTRACT,
  DIST_DIR,
  GLUE,
  PACKAGE,
  componentPath,
  readComponent,
  transpileComponent,
  unversioned,
} from './transpile.js';
import { OutputSink, datetime, wasiImports } from './wasi.js';

/**
 * The component ready to instantiate: jco's `instantiate` function, the compiled core modules,
 * and the manifest (which component, which imports). Make one per process and share it.
 */
export class CompiledAddon {
  constructor(instantiate, modules, manifest) {
    this.instantiate = instantiate;
    this.modules = modules;
    this.manifest = manifest;
  }
}

/**
 * Compiles the component.
 *
 * - `{ wasm }` (a path or the component's bytes): transpiles it now, in memory (about a second).
 * - otherwise, `{ dist }` (default: this package's `dist/`, which `npm run build` fills from
 *   `ORDER_MESSAGES_WASM` or the cargo build's output): loads what the build transpiled.
 */
export async function compileAddon({ wasm, dist } = {}) {
  if (wasm !== undefined) {
    const bytes = typeof wasm === 'string' ? await readComponent(resolve(wasm)) : wasm;
    if (!(bytes instanceof Uint8Array)) throw new TypeError('`wasm` must be a path or the bytes of a component');
    const { files, manifest } = await transpileComponent(bytes, typeof wasm === 'string' ? resolve(wasm) : '(bytes)');
    const glue = Buffer.from(files[GLUE]).toString('base64');
    const { instantiate } = await import(`data:text/javascript;base64,${glue}`);
    const modules = await compileModules(manifest, (name) => files[name]);
    return new CompiledAddon(instantiate, modules, manifest);
  }
  const dir = resolve(dist ?? DIST_DIR);
  let manifest;
  try {
    manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
  } catch (e) {
    throw new Error(
      `no transpiled component in ${dir}: run \`npm run build\` in the package ` +
        `(it transpiles ${componentPath()}), or pass { wasm } to transpile one now`,
      { cause: e },
    );
  }
  const { instantiate } = await import(pathToFileURL(join(dir, GLUE)).href);
  const modules = await compileModules(manifest, (name) => readFile(join(dir, name)));
  return new CompiledAddon(instantiate, modules, manifest);
}

async function compileModules(manifest, read) {
  const names = manifest.files.filter((f) => f.endsWith('.wasm'));
  const compiled = await Promise.all(names.map(async (name) => WebAssembly.compile(await read(name))));
  return new Map(names.map((name, i) => [name, compiled[i]]));
}

/**
 * Compiles the component if no `compiled` is given, and instantiates it over the host's
 * imports. See `Addon`.
 */
export async function loadAddon(options = {}) {
  const { compiled, wasm, dist, ...host } = options;
  return new Addon(compiled ?? (await compileAddon({ wasm, dist })), host);
}

const systemClock = { now: () => Date.now() };

/**
 * One instance of the addon over a host's imports, reused for many calls.
 *
 * Every export is a synchronous method, grouped as in the WIT (`addon.messaging.post(…)`):
 * arguments are checked first (`ArgumentError`), 64-bit results come back as numbers
 * (`UnsafeIntegerError` past 2^53), a refusal is thrown as an `AddonError`. A call that
 * traps, exits, or during which an import throws anything but its typed refusal throws an
 * `AddonFault` and drops the instance; the next call instantiates the component again.
 */
export class Addon {
  #compiled;
  #host;
  #live = null;
  #instantiations = 0;
  #guestOutput = '';
  /** The export being called, while it runs: the component model forbids entering an instance again from its imports. */
  #running = null;

  constructor(compiled, { storage, mail, notifications, directory, clock = systemClock } = {}) {
    if (!(compiled instanceof CompiledAddon)) throw new TypeError('`compiled` must come from compileAddon()');
    requireContract(compiled.manifest);
    requireMethods('storage', storage, ['get', 'getMany', 'scan', 'commit']);
    requireMethods('mail', mail, ['send']);
    requireMethods('notifications', notifications, ['push']);
    requireMethods('directory', directory, ['getOrder', 'staffUsers', 'vendorUsers', 'getSettings']);
    requireMethods('clock', clock, ['now']);
    this.#compiled = compiled;
    this.#host = { storage, mail, notifications, directory, clock };
    for (const [iface, functions] of Object.entries(EXPORTS)) {
      const methods = {};
      for (const [name, params] of Object.entries(functions)) {
        methods[name] = (...args) => this.#call(iface, name, params, args);
      }
      this[iface] = Object.freeze(methods);
    }
    this.#ensureLive();
  }

  /** How many times this object instantiated the component: 1, plus one per fault. */
  get instantiations() {
    return this.#instantiations;
  }

  /** What the guest printed (stdout and stderr) during the last call. */
  get guestOutput() {
    return this.#guestOutput;
  }

  /** Drops the instance; the next call starts a fresh one. */
  reset() {
    this.#live = null;
  }

  #ensureLive() {
    if (this.#live === null) this.#live = this.#instantiate();
    return this.#live;
  }

  #instantiate() {
    const live = { exports: null, sink: new OutputSink(), fault: null };
    const guard = guardFor(live);
    const wallClock = guard('clock.now', noRefusal, () => this.#host.clock.now(), datetime);
    const provided = { ...wasiImports(wallClock, live.sink), ...hostImports(this.#host, guard) };
    const missing = this.#compiled.manifest.imports.filter((name) => !(name in provided));
    if (missing.length > 0) {
      throw new Error(`the component imports ${missing.join(', ')}, which this host does not provide`);
    }
    // jco's declarations name imports with their version (`…/storage@0.1.0`) while its glue
    // looks them up without one: answer both spellings.
    const imports = new Proxy(provided, {
      get: (target, name) => (typeof name === 'string' ? target[name] ?? target[unversioned(name)] : undefined),
    });
    this.#instantiations += 1;
    const restore = stubPromising();
    try {
      live.exports = this.#compiled.instantiate((name) => this.#compiled.modules.get(name), imports);
    } catch (e) {
      this.#guestOutput = live.sink.take();
      throw fault(e, live.fault, this.#guestOutput, 'instantiating the component');
    } finally {
      restore();
    }
    this.#guestOutput = live.sink.take();
    return live;
  }

  #call(iface, name, params, args) {
    const operation = `${iface}.${name}`;
    checkArguments(operation, params, args);
    if (this.#running !== null) throw new ReentrantCallError(operation, this.#running);
    const live = this.#ensureLive();
    live.fault = null;
    let result;
    this.#running = operation;
    try {
      result = live.exports[iface][name](...args);
    } catch (e) {
      this.#guestOutput = live.sink.take();
      if (live.fault === null && isAddonErrorVariant(e)) throw AddonError.fromVariant(e);
      // The guest's stack was unwound mid-call: its memory may be inconsistent.
      this.#live = null;
      throw fault(e, live.fault, this.#guestOutput, operation);
    } finally {
      this.#running = null;
    }
    this.#guestOutput = live.sink.take();
    return toNumbers(result, `${operation}()`);
  }
}

/**
 * jco's glue wraps a dozen guest functions with `WebAssembly.promising` (JSPI) while
 * instantiating, each in a try/catch for runtimes without it. Node 20 has none, and each of
 * those throws inside the glue's huge instantiation function costs milliseconds: together
 * 60-110 ms of every instantiation. The wrapped functions serve only async exports, which this
 * component has none of, so while the (synchronous) instantiation runs `WebAssembly.promising`
 * is the identity when the runtime lacks it. Returns what puts things back.
 */
function stubPromising() {
  if (typeof WebAssembly.promising === 'function') return () => {};
  WebAssembly.promising = (fn) => fn;
  return () => {
    delete WebAssembly.promising;
  };
}

/** The `AddonFault` for `error`, which ended a call; `importFault` is what a guarded import saw, if anything. */
function fault(error, importFault, guestOutput, operation) {
  if (importFault !== null) {
    return new AddonFault('import', { source: importFault.source, cause: importFault.error, guestOutput, operation });
  }
  if (error instanceof GuestExit) return new AddonFault('exit', { cause: error, guestOutput, operation });
  if (error instanceof WebAssembly.RuntimeError) return new AddonFault('trap', { cause: error, guestOutput, operation });
  // Thrown by jco's glue on the way in or out, e.g. an import's value of the wrong shape.
  return new AddonFault('bindings', { cause: error, guestOutput, operation });
}

function isAddonErrorVariant(e) {
  return e !== null && typeof e === 'object' && !(e instanceof Error) && ADDON_ERROR_KINDS.includes(e.tag);
}

/** Refuses a component of another contract version than the one this host serves. */
function requireContract(manifest) {
  if (manifest.contract === CONTRACT) return;
  if (manifest.contract === undefined) {
    throw new Error(
      `the transpiled component (${manifest.component}) does not say which contract it implements: ` +
        'transpile it again (`npm run build`, or compileAddon({ wasm }))',
    );
  }
  throw new Error(
    `the component implements ${PACKAGE}@${manifest.contract}; this host serves ${PACKAGE}@${CONTRACT} (wit/v0.2.0)`,
  );
}

function requireMethods(name, value, methods) {
  const missing = methods.filter((m) => typeof value?.[m] !== 'function');
  if (missing.length > 0) {
    throw new TypeError(`\`${name}\` must have the method(s) ${methods.join(', ')}; missing: ${missing.join(', ')}`);
  }
}

/**
 * `guard(source, refusal, call, adapt)` makes an import for one instance: it calls the host
 * (`call`), refuses a Promise (jco cannot wait for one), checks and converts the result
 * (`adapt(result, ...args)`, which throws a TypeError for a result of the wrong shape), and
 * turns the host's typed refusal (`refusal(e)` gives its WIT error) into the import's
 * `result::err`. Any other exception is remembered in `live.fault` and unwinds the guest, so
 * the call ends in an `AddonFault` and the instance is dropped (jco alone would leave it in use).
 */
function guardFor(live) {
  return (source, refusal, call, adapt = (value) => value) =>
    (...args) => {
      try {
        const result = call(...args);
        if (typeof result?.then === 'function') {
          throw new TypeError(`${source} returned a Promise: imports must be synchronous (jco does not await them)`);
        }
        return adapt(result, ...args);
      } catch (e) {
        const payload = refusal(e);
        // jco turns an exception with a `payload` into the import's `result::err`.
        if (payload !== undefined) throw { payload };
        live.fault ??= { source, error: e };
        throw e;
      }
    };
}

const noRefusal = () => undefined;

/** The addon's own imports over the host's objects, each call through `guard` (see `guardFor`). */
function hostImports({ storage, mail, notifications, directory }, guard) {
  const storageRefusal = (e) => (e instanceof StorageError ? { tag: e.kind, val: e.detail } : undefined);
  const deliveryRefusal = (e) => (e instanceof DeliveryError ? { tag: e.kind, val: e.detail } : undefined);
  const directoryRefusal = (e) => (e instanceof DirectoryError ? e.detail : undefined);
  const entries = (list) => list.map(storedEntry);
  const none = () => undefined;
  return {
    'storefront:order-messages/storage': {
      get: guard('storage.get', storageRefusal, (key) => storage.get(key), storedEntry),
      getMany: guard('storage.getMany', storageRefusal, (keys) => storage.getMany(keys), entries),
      scan: guard(
        'storage.scan',
        storageRefusal,
        (prefix, startAfter, limit, reverse) => storage.scan(prefix, startAfter, limit, reverse),
        scanPage,
      ),
      commit: guard(
        'storage.commit',
        storageRefusal,
        (checks, writes) => storage.commit(toNumbers(checks, 'storage.commit checks'), writes),
        none,
      ),
    },
    'storefront:order-messages/mail': {
      send: guard('mail.send', deliveryRefusal, (message) => mail.send(message), none),
    },
    'storefront:order-messages/notifications': {
      push: guard(
        'notifications.push',
        deliveryRefusal,
        (key, recipients, event) => notifications.push(key, recipients, toNumbers(event, 'notifications.push event')),
        none,
      ),
    },
    'storefront:order-messages/directory': {
      getOrder: guard('directory.getOrder', directoryRefusal, (id) => directory.getOrder(id)),
      staffUsers: guard('directory.staffUsers', directoryRefusal, () => directory.staffUsers()),
      vendorUsers: guard('directory.vendorUsers', directoryRefusal, (vendor) => directory.vendorUsers(vendor)),
      getSettings: guard('directory.getSettings', directoryRefusal, () => directory.getSettings()),
    },
  };
}

/**
 * A stored entry as jco lowers it: the version, an opaque token the host gives as a whole
 * number from 1 to 2^53 - 1, as the u64 BigInt the glue wants.
 */
function storedEntry(e) {
  if (e == null) return undefined;
  const { key, value, version } = e;
  if (!Number.isSafeInteger(version) || version < 1) {
    throw new TypeError(
      `the version of ${key} must be a whole number from 1 to ${Number.MAX_SAFE_INTEGER} ` +
        `(an opaque token, never 0), not ${String(version)}`,
    );
  }
  return { key, value, version: toBigInt(version, `the version of ${key}`) };
}

/**
 * A scan page (`{ entries, more }`, storage.wit's `scan-page`) as jco lowers it, checked: at
 * most `limit` entries, `more` a boolean (a short page, even an empty one, may say `more`).
 */
function scanPage(page, _prefix, _startAfter, limit) {
  if (page === null || typeof page !== 'object' || !Array.isArray(page.entries) || typeof page.more !== 'boolean') {
    const was = Array.isArray(page) ? 'an array of entries (the 0.1.0 shape)' : String(page);
    throw new TypeError(`storage.scan must return a scan page { entries: [...], more: boolean }, not ${was}`);
  }
  if (page.entries.length > limit) {
    throw new TypeError(`storage.scan returned ${page.entries.length} entries for a limit of ${limit}`);
  }
  return { entries: page.entries.map(storedEntry), more: page.more };
}
