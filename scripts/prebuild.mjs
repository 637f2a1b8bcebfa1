#!/usr/bin/env node
// `npm run prebuild` (also run by `prepack`): cross-compiles native/ on a Linux x64
// machine into the prebuilt binaries the published package carries, laid out where
// node-gyp-build looks for them:
//
//   prebuilds/<platform>-<arch>/procctl.napi[.<libc>].node
//
// node-gyp-build picks the directory by process.platform and process.arch, then the
// file by its dot-separated tags: `napi` (any Node with Node-API 8), and on Linux
// `glibc` or `musl` (it reports musl where /etc/alpine-release exists, or LIBC=musl).
//
// The compiler is Zig's bundled clang (`zig c++`), installed from the npm registry
// into scripts/toolchain/ at a pinned version: one toolchain that targets glibc at a
// chosen (old) version, musl, and macOS (with its SDK stubs) from one Linux machine,
// and links its own libc++ statically, so no binary depends on the libstdc++ of the
// machine it lands on. docs/building.md says why this and not Debian's cross gcc.
//
// Usage: node scripts/prebuild.mjs [--if-stale] [--only <platform>-<arch>[-<libc>]]...   (ZIG=/path/zig to use another zig)
// --if-stale builds nothing when every prebuild is newer than everything it is built from.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

// glibc 2.17 (2012): older than the glibc of any distribution a current Node runs on
// (Node 22's own Linux builds need 2.28), so the binary loads wherever Node does.
const GLIBC = '2.17';
// Node 22 supports macOS 11 and later; binding.gyp builds for the same.
const MACOS = '11.0';

/** Every platform the package ships a binary for. */
export const TARGETS = [
  { platform: 'linux', arch: 'x64', libc: 'glibc', zig: `x86_64-linux-gnu.${GLIBC}` },
  { platform: 'linux', arch: 'arm64', libc: 'glibc', zig: `aarch64-linux-gnu.${GLIBC}` },
  { platform: 'linux', arch: 'x64', libc: 'musl', zig: 'x86_64-linux-musl' },
  { platform: 'linux', arch: 'arm64', libc: 'musl', zig: 'aarch64-linux-musl' },
  { platform: 'darwin', arch: 'x64', zig: `x86_64-macos.${MACOS}` },
  { platform: 'darwin', arch: 'arm64', zig: `aarch64-macos.${MACOS}` },
];

const targetName = (t) => `${t.platform}-${t.arch}${t.libc ? `-${t.libc}` : ''}`;

// The same defines and warnings as binding.gyp and CMakeLists.txt.
const CXXFLAGS = [
  '-std=c++17', '-O2', '-fPIC', '-fvisibility=hidden', '-fstack-protector-strong',
  '-Wall', '-Wextra',
  '-DNAPI_VERSION=8', '-DNODE_ADDON_API_DISABLE_DEPRECATED', '-DNAPI_CPP_EXCEPTIONS',
];

/**
 * How each kind of artifact is linked. An addon leaves the Node-API and libuv
 * symbols undefined: the node binary that loads it provides them (on macOS that
 * takes `-undefined dynamic_lookup`; ELF shared objects allow it by default).
 */
const KINDS = {
  'node-addon': {
    linkFlags: (t) => ['-shared', ...(t.platform === 'darwin' ? ['-Wl,-undefined,dynamic_lookup'] : [])],
    includes: () => [require('node-addon-api').include_dir, nodeHeaders()],
  },
  // procctl-init: a standalone program. On Linux it is linked statically against
  // musl, so one binary per arch runs in any image (glibc, musl, distroless);
  // macOS has no static libc, so it links libSystem there.
  program: {
    linkFlags: (t) => (t.platform === 'linux' ? ['-static', '-Wl,--gc-sections'] : []),
    includes: () => [],
    flags: ['-Os', '-fno-exceptions', '-fno-rtti', '-ffunction-sections', '-fdata-sections', `-DPROCCTL_VERSION=${JSON.stringify(require(path.join(root, 'package.json')).version)}`],
  },
};

/**
 * What gets built for every target. Adding an artifact is one entry: its kind, its
 * sources (relative to the repository) and where it lands for a given target.
 */
export const ARTIFACTS = [
  {
    name: 'procctl.node',
    kind: 'node-addon',
    sources: () => listSources('native'),
    output: (t) => path.join('prebuilds', `${t.platform}-${t.arch}`, ['procctl', 'napi', t.libc, 'node'].filter(Boolean).join('.')),
  },
  {
    name: 'procctl-init',
    kind: 'program',
    sources: () => listSources('native/init'),
    // One static musl build per Linux arch serves glibc and musl hosts alike.
    targets: (t) => t.platform !== 'linux' || t.libc === 'musl',
    output: (t) => path.join('prebuilds', `${t.platform}-${t.arch}`, 'procctl-init'),
  },
];

function listSources(dir) {
  return readdirSync(path.join(root, dir))
    .filter((f) => f.endsWith('.cc'))
    .sort()
    .map((f) => path.join(dir, f));
}

/** Node's own include dir (node_api.h and uv.h: exec and the Reaper walk libuv's loop). */
function nodeHeaders() {
  const candidates = [
    process.env.npm_config_nodedir && path.join(process.env.npm_config_nodedir, 'include', 'node'),
    path.join(path.dirname(process.execPath), '..', 'include', 'node'),
  ].filter(Boolean);
  const dir = candidates.find((d) => existsSync(path.join(d, 'node_api.h')) && existsSync(path.join(d, 'uv.h')));
  if (!dir) {
    fail(`no Node headers (node_api.h and uv.h) in ${candidates.join(' or ')}; set npm_config_nodedir to a Node install that has include/node`);
  }
  return dir;
}

function fail(message) {
  console.error(`prebuild: ${message}`);
  process.exit(1);
}

/** The pinned zig from scripts/toolchain/ (installed from the npm registry on first use). */
function zigBinary() {
  if (process.env.ZIG) return process.env.ZIG;
  const toolchain = path.join(root, 'scripts', 'toolchain');
  const zig = path.join(toolchain, 'node_modules', '@ryoppippi', 'zig-linux-x64', 'zig');
  if (!existsSync(zig)) {
    if (process.platform !== 'linux' || process.arch !== 'x64') {
      fail(`the pinned Zig toolchain runs on linux-x64 only (this is ${process.platform}-${process.arch}); set ZIG=/path/to/zig 0.11`);
    }
    console.log('prebuild: installing the pinned Zig toolchain into scripts/toolchain/ (npm registry)');
    execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: toolchain, stdio: 'inherit' });
  }
  return zig;
}

function parseArgs(argv) {
  const only = [];
  let ifStale = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--only' && argv[i + 1]) only.push(argv[++i]);
    else if (argv[i] === '--if-stale') ifStale = true;
    else fail(`unknown argument '${argv[i]}' (usage: prebuild.mjs [--if-stale] [--only linux-arm64-glibc]...)`);
  }
  const known = TARGETS.map(targetName);
  for (const o of only) if (!known.some((k) => k === o || k.startsWith(`${o}-`))) fail(`unknown target '${o}' (known: ${known.join(', ')})`);
  return { only, ifStale };
}

/** Newest modification time among what goes into a build: native/, this script, package.json. */
function newestInput() {
  let newest = Math.max(statSync(fileURLToPath(import.meta.url)).mtimeMs, statSync(path.join(root, 'package.json')).mtimeMs);
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  walk(path.join(root, 'native'));
  return newest;
}

function main() {
  const { only, ifStale } = parseArgs(process.argv.slice(2));
  const targets = TARGETS.filter((t) => only.length === 0 || only.some((o) => targetName(t) === o || targetName(t).startsWith(`${o}-`)));
  // --if-stale: nothing to do when every output is newer than every input. Zig's
  // cache would also make a rebuild quick, but not under another Node, whose
  // headers are other files to it.
  if (ifStale) {
    const outputs = ARTIFACTS.flatMap((a) => targets.filter((t) => a.targets === undefined || a.targets(t)).map((t) => path.join(root, a.output(t))));
    const newest = newestInput();
    if (outputs.every((o) => existsSync(o) && statSync(o).mtimeMs >= newest)) {
      console.log(`prebuild: ${outputs.length} prebuilds are newer than native/, scripts/prebuild.mjs and package.json; nothing to build`);
      return;
    }
  }
  const zig = zigBinary();
  // Zig caches whole compiler invocations: an unchanged target takes well under a
  // second. Keep that cache outside the checkout so fresh clones share it.
  const cache = process.env.ZIG_GLOBAL_CACHE_DIR || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'zig');
  const env = { ...process.env, ZIG_GLOBAL_CACHE_DIR: cache, ZIG_LOCAL_CACHE_DIR: process.env.ZIG_LOCAL_CACHE_DIR || cache };
  const started = Date.now();
  for (const artifact of ARTIFACTS) {
    const kind = KINDS[artifact.kind];
    const sources = artifact.sources();
    const includes = kind.includes().flatMap((d) => ['-I', d]);
    for (const t of targets.filter((x) => artifact.targets === undefined || artifact.targets(x))) {
      const out = path.join(root, artifact.output(t));
      const tmp = `${out}.tmp`;
      mkdirSync(path.dirname(out), { recursive: true });
      const t0 = Date.now();
      // -s strips at link time: the binaries carry no symbol table or debug info
      // beyond the dynamic symbols they need.
      const args = ['c++', '-target', t.zig, ...CXXFLAGS, ...(kind.flags ?? []), ...includes, '-I', 'native', ...sources, ...kind.linkFlags(t), '-s', '-o', tmp];
      const r = spawnSync(zig, args, { cwd: root, env, stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
      if (r.status !== 0) {
        rmSync(tmp, { force: true });
        fail(`${artifact.name} for ${targetName(t)} failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`}):\n${r.stderr ?? ''}`);
      }
      if (r.stderr) process.stderr.write(`prebuild: compiler warnings for ${targetName(t)}:\n${r.stderr}`);
      renameSync(tmp, out);
      const kb = Math.round(statSync(out).size / 1024);
      console.log(`prebuild: ${path.relative(root, out)} (${targetName(t)}, ${kb} KiB, ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    }
  }
  console.log(`prebuild: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
