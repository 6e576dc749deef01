// What the tests share: the component compiled once per test file, and a marketplace host.

import { compileAddon, createMemoryHost, installMarketplace, loadAddon } from '../index.js';

/** The component of `dist/` (built by `npm run build`, which `npm test` runs first). */
export const compiled = await compileAddon();

/** A fresh in-memory host with the marketplace directory, and an addon over it. */
export async function marketplace() {
  const host = createMemoryHost();
  installMarketplace(host.directory);
  const addon = await loadAddon({ compiled, ...host });
  const as = (userId) => host.directory.actor(userId);
  return { host, addon, as };
}

/** Every storage entry, as comparable plain data. */
export function snapshot(storage) {
  return storage.dump().map((e) => [e.key, Buffer.from(e.value).toString('base64'), e.version]);
}
