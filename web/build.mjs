#!/usr/bin/env node
// build.mjs - bundles the dashboard for shiplogd to embed.
//
//   node web/build.mjs --out DIR
//
// Writes DIR/index.html and DIR/assets/<name>-<hash>.<ext>: the script
// bundle (web/src/main.js), the style sheet (web/src/style.css) and the
// icon, each named by the first 12 hex digits of the SHA-256 of its bytes,
// so the daemon can let browsers cache them for good. The page holds no
// inline script or style: the daemon's Content-Security-Policy forbids both.
import * as esbuild from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

// What the issue allows the page to weigh, gzipped.
const BUDGET_GZIP = 150 * 1024;

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const at = argv.indexOf('--out');
if (at < 0 || !argv[at + 1]) {
  console.error('usage: node web/build.mjs --out DIR');
  process.exit(2);
}
const out = resolve(argv[at + 1]);

const result = await esbuild.build({
  absWorkingDir: here,
  entryPoints: { app: 'src/main.js', style: 'src/style.css' },
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
  legalComments: 'none',
  outdir: 'dist',
  write: false,
  logLevel: 'warning',
});

const hashed = (name, ext, bytes) => {
  const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 12);
  return `${name}-${hash}.${ext}`;
};

const files = new Map();
for (const f of result.outputFiles) {
  const ext = f.path.endsWith('.css') ? 'css' : 'js';
  files.set(ext, { name: hashed('app', ext, f.contents), bytes: f.contents });
}
const icon = readFileSync(join(here, 'src', 'favicon.svg'));
files.set('svg', { name: hashed('favicon', 'svg', icon), bytes: icon });

const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>shiplog</title>
<link rel="icon" type="image/svg+xml" href="/assets/${files.get('svg').name}">
<link rel="stylesheet" href="/assets/${files.get('css').name}">
<script type="module" src="/assets/${files.get('js').name}"></script>
</head>
<body>
<div id="app"><noscript>The shiplog dashboard needs JavaScript. The same data is in the API under /v1/.</noscript></div>
</body>
</html>
`;

// Only what this script writes is replaced; DIR may hold other things.
rmSync(join(out, 'assets'), { recursive: true, force: true });
mkdirSync(join(out, 'assets'), { recursive: true });
writeFileSync(join(out, 'index.html'), page);
let gz = gzipSync(page, { level: 9 }).length;
for (const { name, bytes } of files.values()) {
  writeFileSync(join(out, 'assets', name), bytes);
  gz += gzipSync(bytes, { level: 9 }).length;
}
console.log(`web: ${[...files.values()].map((f) => f.name).join(' ')} (${(gz / 1024).toFixed(1)} KB gzipped)`);
if (gz > BUDGET_GZIP) {
  console.error(`web: the bundle is ${gz} bytes gzipped, over the budget of ${BUDGET_GZIP}`);
  process.exit(1);
}
