// Turning the component into JavaScript glue and core modules with jco, the same way for the
// build script (into `dist/`) and for `compileAddon({ wasm })` (in memory).

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { transpileBytes } from '@bytecodealliance/jco-transpile';

const here = dirname(fileURLToPath(import.meta.url));

/** The package's folder. */
export const PACKAGE_DIR = resolve(here, '..');

/** Where the build script puts the transpiled component. */
export const DIST_DIR = resolve(PACKAGE_DIR, 'dist');

/** The variable naming the component to transpile. */
export const WASM_ENV = 'ORDER_MESSAGES_WASM';

/** Where `cargo build` leaves the component (the harness's build script builds it). */
export const DEFAULT_WASM = resolve(PACKAGE_DIR, '../../target/plugin/dist/order_messages.wasm');

/** The WIT package of the addon's contract. */
export const PACKAGE = 'storefront:order-messages';

/** The contract version this host serves (wit/v0.2.0). */
export const CONTRACT = '0.2.0-draft';

/** The shape of `manifest.json`; a `dist/` with another one is transpiled again. */
export const MANIFEST_FORMAT = 2;

/** The glue's file name in `dist/` (its core modules are `addon.core*.wasm` beside it). */
export const GLUE = 'addon.js';

const require = createRequire(import.meta.url);
const JCO = '@bytecodealliance/jco-transpile';
/** The jco-transpile release doing the work (pinned exactly in package.json), for the manifest. */
export const TRANSPILER = `${JCO}@${require('../package.json').dependencies[JCO]}`;

/** The component to use: `ORDER_MESSAGES_WASM`, else the cargo build's output. */
export function componentPath() {
  return process.env[WASM_ENV] ? resolve(process.env[WASM_ENV]) : DEFAULT_WASM;
}

/** Reads a component, with a message that says how to get one when it is missing. */
export async function readComponent(path) {
  try {
    return await readFile(path);
  } catch (e) {
    if (e.code === 'ENOENT') {
      throw new Error(
        `no component at ${path}: build it with \`cargo build\` at the repository root, ` +
          `or set ${WASM_ENV} to a component's path`,
        { cause: e },
      );
    }
    throw e;
  }
}

/**
 * Transpiles component bytes. Returns the generated files (the glue `addon.js` and its core
 * modules, by file name) and a manifest: where the component came from, its SHA-256, the
 * transpiler, the contract version its exports implement (`0.2.0-draft`), and the interfaces
 * it imports (unversioned).
 */
export async function transpileComponent(bytes, source) {
  const { files, imports, exports } = await transpileBytes(bytes, {
    name: 'addon',
    // `instantiate(getCoreModule, imports)` rather than a module that instantiates itself on
    // import: the wrapper supplies the imports, and can instantiate again after a fault.
    // `sync`, so a re-instantiation needs no await and every call stays synchronous.
    instantiation: 'sync',
    // Export errors arrive as the addon's `{ tag, val }` variant, not wrapped.
    noComponentErrorWrapping: true,
    // The wrapper's own `index.d.ts` describes the API; jco's declarations are not used.
    emitTypescriptDeclarations: false,
    outDir: '',
  });
  const manifest = {
    format: MANIFEST_FORMAT,
    component: source,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    bytes: bytes.length,
    transpiler: TRANSPILER,
    contract: contractOf(exports.map(([name]) => name)),
    imports: imports.map(unversioned).sort(),
    files: Object.keys(files).sort(),
  };
  return { files, manifest };
}

/**
 * The version of the addon's package among interface names (`…/inbox@0.2.0-draft` →
 * `0.2.0-draft`), or `undefined` when none names it with a version.
 */
export function contractOf(names) {
  const versions = new Set();
  for (const name of names) {
    const at = name.lastIndexOf('@');
    if (name.startsWith(`${PACKAGE}/`) && at > 0) versions.add(name.slice(at + 1));
  }
  if (versions.size > 1) throw new Error(`the component exports several versions of ${PACKAGE}: ${[...versions].join(', ')}`);
  return versions.values().next().value;
}

/** `storefront:order-messages/storage@0.2.0-draft` → `storefront:order-messages/storage`. */
export function unversioned(name) {
  const at = name.lastIndexOf('@');
  return at > 0 ? name.slice(0, at) : name;
}
