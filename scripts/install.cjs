#!/usr/bin/env node
// The package's `install` script. In order:
//   1. Windows (or an install for another OS, `npm install --os=...`): nothing to
//      build. procctl never loads the addon on Windows; its JS fallbacks run there.
//   2. A prebuilt binary (prebuilds/) or an earlier build (build/) that loads in this
//      Node: done. No compiler, Python or network needed.
//   3. Otherwise build from source with node-gyp, against this Node's own headers so
//      that nothing is downloaded; when a compiler, make, Python or the headers are
//      missing, stop with a message that says what to install or set.
// `npm install --build-from-source` (npm_config_build_from_source=true) skips step 2.
// PROCCTL_PLATFORM=win32|darwin|linux stands in for the platform (as it does for lib/).
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const pkgDir = path.join(__dirname, '..');
const say = (msg) => process.stderr.write(`procctl: ${msg}\n`);

/** The OS being installed for: an injected one, npm's --os, or this one. */
function targetPlatform() {
  return process.env.PROCCTL_PLATFORM || process.env.npm_config_os || process.platform;
}

/** The binary node-gyp-build would load here, if one loads. */
function loadableBinary() {
  let file;
  try {
    file = require('node-gyp-build').path(pkgDir);
  } catch (err) {
    return { file: null, why: String(err.message).split('\n')[0] };
  }
  try {
    require(file);
    return { file, why: null };
  } catch (err) {
    return { file: null, why: `${path.relative(pkgDir, file)} does not load here: ${String(err.message).split('\n')[0]}` };
  }
}

function onPath(name) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (!dir) continue;
    try {
      fs.accessSync(path.join(dir, name), fs.constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

/**
 * Node's own headers (node_api.h, and uv.h: exec and the Reaper use libuv), from
 * npm_config_nodedir or the installation this node runs from. Official Node
 * tarballs and the Docker images carry them in <prefix>/include/node; some distro
 * packages put them in a separate -dev package.
 */
function nodeDir() {
  const candidates = [process.env.npm_config_nodedir, path.join(path.dirname(process.execPath), '..')].filter(Boolean);
  for (const dir of candidates) {
    const inc = path.join(dir, 'include', 'node');
    if (fs.existsSync(path.join(inc, 'node_api.h')) && fs.existsSync(path.join(inc, 'uv.h'))) return path.resolve(dir);
  }
  return null;
}

/** What building from source lacks here, as lines of advice; empty when nothing does. */
function missingForBuild(headers) {
  const missing = [];
  const cxx = process.env.CXX || ['c++', 'g++', 'clang++'].find(onPath);
  if (!cxx) missing.push('a C++ compiler (g++ or clang++; set CXX to use another)');
  if (!onPath('make')) missing.push('make');
  const python = process.env.npm_config_python || process.env.PYTHON || ['python3', 'python'].find(onPath);
  if (!python) missing.push('Python 3 (node-gyp runs on it; set npm_config_python to use another)');
  if (!headers) {
    missing.push(
      `Node's headers (include/node with node_api.h and uv.h) next to ${process.execPath} ` +
        '(install your distribution\'s Node development package, or set npm_config_nodedir to a Node ' +
        'installation or source tree that has them; procctl does not download them)',
    );
  }
  return missing;
}

function build(headers) {
  // npm puts its own node-gyp on PATH for install scripts; a global one works too.
  let gyp = ['node-gyp'];
  try {
    gyp = [process.execPath, require.resolve('node-gyp/bin/node-gyp.js')];
  } catch {
    // not installed as a package: use the one on PATH
  }
  const args = [...gyp.slice(1), 'rebuild', `--nodedir=${headers}`];
  say(`building the addon from source: ${path.basename(gyp[gyp.length - 1])} ${args.slice(gyp.length - 1).join(' ')}`);
  const r = spawnSync(gyp[0], args, { cwd: pkgDir, stdio: 'inherit' });
  return r.status === 0;
}

function main() {
  const platform = targetPlatform();
  if (platform === 'win32') {
    say('Windows: no native addon to build; procctl uses its JavaScript fallbacks there (see "Platforms" in the README)');
    return 0;
  }
  if (platform !== process.platform) {
    say(`installing for ${platform} from ${process.platform}: the native addon is not built or checked here`);
    return 0;
  }
  const fromSource = process.env.npm_config_build_from_source === 'true';
  let why = 'a build from source was asked for (--build-from-source)';
  if (!fromSource) {
    const found = loadableBinary();
    if (found.file) return 0;
    why = found.why;
  }
  const headers = nodeDir();
  const missing = missingForBuild(headers);
  if (missing.length > 0) {
    say(`no usable prebuilt addon: ${why}`);
    say('building it from source needs what this machine lacks:');
    for (const m of missing) say(`  - ${m}`);
    say('install those and run `npm rebuild procctl`; on Alpine or another musl system without');
    say('/etc/alpine-release, set LIBC=musl so the musl prebuild is chosen.');
    return 1;
  }
  if (!fromSource) say(`no usable prebuilt addon (${why})`);
  if (!build(headers)) {
    say('node-gyp failed (its output is above); fix that and run `npm rebuild procctl`');
    return 1;
  }
  return 0;
}

process.exitCode = main();
