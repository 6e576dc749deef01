#!/usr/bin/env node
// Transpiles the component (ORDER_MESSAGES_WASM, else the cargo build's output) into dist/:
// the jco glue, its core modules and manifest.json. Skips the work when dist/ already holds
// this component transpiled by this transpiler.

import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';

import { DIST_DIR, MANIFEST_FORMAT, TRANSPILER, componentPath, readComponent, transpileComponent } from '../src/transpile.js';

const path = componentPath();
const bytes = await readComponent(path).catch((e) => {
  console.error(`npm run build: ${e.message}`);
  process.exit(1);
});
const sha256 = createHash('sha256').update(bytes).digest('hex');

const previous = await readFile(join(DIST_DIR, 'manifest.json'), 'utf8').then(JSON.parse, () => null);
if (previous?.sha256 === sha256 && previous?.transpiler === TRANSPILER && previous?.format === MANIFEST_FORMAT) {
  console.log(`dist/ is up to date with ${path}`);
} else {
  const started = performance.now();
  const { files, manifest } = await transpileComponent(bytes, path);
  await rm(DIST_DIR, { recursive: true, force: true });
  await mkdir(DIST_DIR, { recursive: true });
  for (const [name, content] of Object.entries(files)) await writeFile(join(DIST_DIR, name), content);
  await writeFile(join(DIST_DIR, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const took = Math.round(performance.now() - started);
  console.log(`transpiled ${path} (${bytes.length} bytes) into dist/ in ${took} ms with ${TRANSPILER}`);
}
