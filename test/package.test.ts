// What a consumer gets: the packed tarball, installed into a fresh project with no
// compiler, make or Python on PATH and npm offline, loads its prebuilt addon and
// works from CommonJS, ESM and TypeScript; Windows installs without building; the
// cross-built prebuilds for every target are the right format and need nothing but
// Node-API, libuv and libc; and the package carries what a careful user checks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { needsRoot, ROOT } from './helpers';

const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown> & { version: string };
const ZIG_LIB = path.join(ROOT, 'scripts', 'toolchain', 'node_modules', '@ryoppippi', 'zig-linux-x64', 'lib');

/** Every prebuild the tarball must carry, with what `file` says about it. */
const PREBUILDS = [
  { file: 'linux-x64/procctl.napi.glibc.node', format: /ELF 64-bit LSB shared object, x86-64/, libc: 'glibc' },
  { file: 'linux-arm64/procctl.napi.glibc.node', format: /ELF 64-bit LSB shared object, ARM aarch64/, libc: 'glibc' },
  { file: 'linux-x64/procctl.napi.musl.node', format: /ELF 64-bit LSB shared object, x86-64/, libc: 'musl' },
  { file: 'linux-arm64/procctl.napi.musl.node', format: /ELF 64-bit LSB shared object, ARM aarch64/, libc: 'musl' },
  { file: 'darwin-x64/procctl.napi.node', format: /Mach-O 64-bit x86_64 dynamically linked shared library/, libc: 'darwin' },
  { file: 'darwin-arm64/procctl.napi.node', format: /Mach-O 64-bit arm64 dynamically linked shared library/, libc: 'darwin' },
] as const;

/** procctl-init per platform and arch: static on Linux (any image's libc), libSystem on macOS. */
const INITS = [
  { file: 'linux-x64/procctl-init', format: /ELF 64-bit LSB executable, x86-64, .*statically linked/ },
  { file: 'linux-arm64/procctl-init', format: /ELF 64-bit LSB executable, ARM aarch64, .*statically linked/ },
  { file: 'darwin-x64/procctl-init', format: /Mach-O 64-bit x86_64 executable/ },
  { file: 'darwin-arm64/procctl-init', format: /Mach-O 64-bit arm64 executable/ },
] as const;

function sh(cmd: string, args: string[], opts: SpawnSyncOptions = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 300_000, ...opts });
  if (r.error) throw r.error;
  return { code: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

let work: string;
let tarball: string;
/** A PATH with node and sh only: no cc, c++, make or python. */
let bareBin: string;
/** npm's own CLI, run with the Node under test. */
const npmCli = realpathSync(sh('sh', ['-c', 'command -v npm']).stdout.trim());

/** The environment of a consumer: no compiler on PATH, npm offline, none of the suite's PROCCTL_* or LD_PRELOAD. */
function consumerEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { HOME: process.env.HOME ?? '/root', PATH: bareBin, npm_config_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false', ...extra };
}

function npm(args: string[], cwd: string, extra: Record<string, string> = {}) {
  return sh(process.execPath, [npmCli, ...args], { cwd, env: consumerEnv(extra) });
}

/** A fresh project with the tarball installed; the install's output and duration. */
function freshInstall(name: string, extraArgs: string[] = [], extraEnv: Record<string, string> = {}) {
  const dir = path.join(work, name);
  mkdirSync(dir);
  // npm 11 runs a dependency's install script only when the project allows it;
  // allowed here so that procctl's own install script is what is tested.
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true, allowScripts: { procctl: true } }));
  const t0 = Date.now();
  const r = npm(['install', '--no-package-lock', '--foreground-scripts', ...extraArgs, tarball], dir, extraEnv);
  return { dir, ...r, ms: Date.now() - t0 };
}

beforeAll(() => {
  // Builds the prebuilds for every target unless they are newer than their sources,
  // then packs exactly what `npm publish` would, without re-running prepack and
  // prepare (`npm test` has just built dist/, and other suites are using it).
  const pre = sh(process.execPath, [path.join(ROOT, 'scripts', 'prebuild.mjs'), '--if-stale'], { cwd: ROOT, timeout: 3_600_000 });
  expect(pre.stderr.replace(/prebuild: compiler warnings[^]*?(?=prebuild: |$)/g, '')).toBe('');
  expect(pre.code).toBe(0);
  work = mkdtempSync(path.join(tmpdir(), 'procctl-consumer-'));
  bareBin = path.join(work, 'bin');
  mkdirSync(bareBin);
  symlinkSync(process.execPath, path.join(bareBin, 'node'));
  symlinkSync('/bin/sh', path.join(bareBin, 'sh'));
  const packed = sh(process.execPath, [npmCli, 'pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: ROOT });
  expect(packed.code).toBe(0);
  tarball = path.join(work, (JSON.parse(packed.stdout) as { filename: string }[])[0]!.filename);
  // The consumer's npm runs offline, so its registry dependencies must be in npm's
  // cache: put there from the registry now, at the versions this checkout uses.
  const deps = Object.keys(pkg.dependencies as Record<string, string>).map(
    (d) => `${d}@${(JSON.parse(readFileSync(path.join(ROOT, 'node_modules', d, 'package.json'), 'utf8')) as { version: string }).version}`,
  );
  const cached = sh(process.execPath, [npmCli, 'cache', 'add', ...deps], { cwd: work });
  expect(cached.stderr).toBe('');
}, 3_700_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed tarball', () => {
  it('carries the prebuilds, LICENSE, examples and the install script; no source maps, tests or build output', () => {
    const files = sh('tar', ['tzf', tarball]).stdout.trim().split('\n').map((f) => f.replace(/^package\//, ''));
    for (const p of [...PREBUILDS, ...INITS]) expect(files).toContain(`prebuilds/${p.file}`);
    for (const f of ['LICENSE', 'README.md', 'package.json', 'scripts/install.cjs', 'examples/demo.mjs', 'dist/index.js', 'dist/index.mjs', 'dist/index.d.ts', 'dist/index.d.mts', 'binding.gyp', 'bin/procctl.js']) {
      expect(files).toContain(f);
    }
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(files.filter((f) => /^(test|build|build-[^/]*|\.ci|scripts\/toolchain)\//.test(f))).toEqual([]);
    // No dist file points at a source map.
    const unpacked = path.join(work, 'unpacked');
    mkdirSync(unpacked);
    sh('tar', ['xzf', tarball, '-C', unpacked]);
    const dist = path.join(unpacked, 'package', 'dist');
    const withMapUrl = sh('grep', ['-rl', 'sourceMappingURL', dist]).stdout.trim();
    expect(withMapUrl).toBe('');
  });

  it('names no document that is not in it; README links resolve inside the package', () => {
    const unpacked = path.join(work, 'unpacked', 'package');
    if (!existsSync(unpacked)) {
      mkdirSync(path.dirname(unpacked), { recursive: true });
      sh('tar', ['xzf', tarball, '-C', path.dirname(unpacked)]);
    }
    const cited = sh('grep', ['-rlE', 'NODE-PITFALLS|SPAWN-CHECKLIST|DESIGN\\.md|STYLE\\.md', unpacked]).stdout.trim();
    expect(cited).toBe('');
    const readme = readFileSync(path.join(unpacked, 'README.md'), 'utf8');
    const links = [...readme.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)].map((m) => m[1]!).filter((l) => !/^https?:/.test(l));
    expect(links.length).toBeGreaterThan(3);
    for (const l of links) expect(existsSync(path.join(unpacked, l)), l).toBe(true);
  });

  it('says where it comes from: license, repository, homepage, bugs', () => {
    expect(pkg.license).toBe('MIT');
    expect(readFileSync(path.join(ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} procctl contributors\n/);
    expect(pkg.repository).toEqual({ type: 'git', url: 'git+https://github.com/procctl/procctl.git' });
    expect(pkg.homepage).toBe('https://github.com/procctl/procctl#readme');
    expect(pkg.bugs).toEqual({ url: 'https://github.com/procctl/procctl/issues' });
  });
});

describe('prebuilds for every target', () => {
  it.each(INITS)('$file: the native init, stripped, with no dynamic dependencies on Linux', ({ file, format }) => {
    const bin = path.join(ROOT, 'prebuilds', file);
    expect(sh('file', ['-b', bin]).stdout).toMatch(format);
    expect(sh('file', ['-b', bin]).stdout).not.toMatch(/not stripped|with debug_info/);
  });

  it.each(PREBUILDS)('$file: format, and only Node-API, libuv and libc symbols undefined', ({ file, format, libc }) => {
    const bin = path.join(ROOT, 'prebuilds', file);
    expect(sh('file', ['-b', bin]).stdout).toMatch(format);
    // Stripped: no symbol table beyond the dynamic symbols it needs.
    expect(sh('file', ['-b', bin]).stdout).not.toMatch(/not stripped|with debug_info/);
    const nm = sh('llvm-nm', ['--undefined-only', ...(libc === 'darwin' ? [] : ['-D']), bin]);
    expect(nm.code).toBe(0);
    const undefinedSymbols = nm.stdout.split('\n').map((l) => l.trim().split(/\s+/).at(-1)!).filter(Boolean);
    // Mach-O symbols carry a leading underscore; ELF ones may carry @VERSION.
    const names = undefinedSymbols.map((s) => (libc === 'darwin' ? s.replace(/^_/, '') : s.replace(/@.*$/, '')));
    const libcExports = libcSymbols(libc);
    const stray = names.filter((n) => !/^(napi_|uv_)/.test(n) && !libcExports.has(n));
    expect(stray).toEqual([]);
    expect(names.filter((n) => n.startsWith('napi_')).length).toBeGreaterThan(20);
    // No C++ runtime of the build machine: libc++ is linked in.
    expect(names.filter((n) => /^(_Z|__cxa_|__gxx_)/.test(n))).toEqual([]);
    if (libc === 'glibc') {
      // Loads on glibc 2.17 and later.
      const versions = undefinedSymbols.map((s) => /@GLIBC_(\d+)\.(\d+)/.exec(s)).filter((m) => m !== null);
      expect(versions.length).toBeGreaterThan(20);
      for (const m of versions) expect(Number(m![1]) * 100 + Number(m![2])).toBeLessThanOrEqual(217);
    }
  });
});

/**
 * What the target's C library exports, from the stubs the pinned Zig links against:
 * glibc's and musl's symbol lists, and macOS's libSystem.
 */
function libcSymbols(libc: 'glibc' | 'musl' | 'darwin'): Set<string> {
  const names = new Set<string>();
  if (libc === 'darwin') {
    const tbd = readFileSync(path.join(ZIG_LIB, 'libc', 'darwin', 'libSystem.11.tbd'), 'utf8');
    for (const m of tbd.matchAll(/\b_([A-Za-z_][A-Za-z0-9_$]*)\b/g)) names.add(m[1]!);
    names.add('dyld_stub_binder');
  } else if (libc === 'musl') {
    for (const m of readFileSync(path.join(ZIG_LIB, 'libc', 'musl', 'libc.S'), 'utf8').matchAll(/^(?:\.globl|\.weak|WEAK64)\s+(\w+)$/gm)) names.add(m[1]!);
  } else {
    const abilists = readFileSync(path.join(ZIG_LIB, 'libc', 'glibc', 'abilists'));
    // A binary file of NUL-separated names among version tables; names are enough here.
    for (const m of abilists.toString('latin1').matchAll(/[A-Za-z_][A-Za-z0-9_]{1,}/g)) names.add(m[0]);
  }
  // ELF weak references the C runtime may leave undefined on purpose.
  for (const w of ['__gmon_start__', '_ITM_deregisterTMCloneTable', '_ITM_registerTMCloneTable', '__cxa_finalize']) names.add(w);
  return names;
}

describe('a consumer installs the tarball with no compiler, no Python and npm offline', () => {
  let installed: ReturnType<typeof freshInstall>;
  beforeAll(() => {
    installed = freshInstall('consumer');
  }, 600_000);

  it('installs without building or downloading, and loads the linux prebuild', () => {
    for (const tool of ['cc', 'c++', 'g++', 'make', 'python3']) expect(sh('sh', ['-c', `command -v ${tool}`], { env: consumerEnv() }).code, tool).not.toBe(0);
    expect(installed.stderr).not.toMatch(/gyp|ENOTCACHED|ERR!/);
    expect(installed.code).toBe(0);
    const mod = path.join(installed.dir, 'node_modules', 'procctl');
    expect(existsSync(path.join(mod, 'build'))).toBe(false);
    const probe = sh(process.execPath, ['-e', `
      const p = require('procctl');
      const file = require('node-gyp-build').path(require('path').dirname(require.resolve('procctl/package.json')));
      console.log(JSON.stringify({ file, addon: p.supported.addon, spawn: p.supported.spawn }));
    `], { cwd: installed.dir, env: consumerEnv() });
    expect(probe.stderr).toBe('');
    const out = JSON.parse(probe.stdout);
    expect(out).toMatchObject({ addon: true, spawn: true });
    expect(path.relative(mod, out.file)).toBe(path.join('prebuilds', `linux-${process.arch}`, 'procctl.napi.glibc.node'));
    console.log(`consumer install: ${installed.ms} ms, tarball ${Math.round(Number(sh('stat', ['-c', '%s', tarball]).stdout) / 1024)} KiB`);
  });

  it('works from CommonJS and ESM: an exec in a child keeps its pid; the CLI runs', () => {
    const cjs = sh(process.execPath, ['-e', `
      const { spawn } = require('procctl');
      const c = spawn(process.execPath, ['-e', "require('procctl').execvp('sh', ['-c', 'echo $$'])"], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = ''; c.stdout.on('data', (d) => (out += d));
      c.exited.then((st) => console.log(JSON.stringify({ pid: c.pid, shPid: Number(out), code: st.exitCode })));
    `], { cwd: installed.dir, env: consumerEnv() });
    expect(cjs.stderr).toBe('');
    const c = JSON.parse(cjs.stdout);
    expect(c.shPid).toBe(c.pid);
    expect(c.code).toBe(0);
    const esm = sh(process.execPath, ['--input-type=module', '-e', `
      import procctl, { run, getsid } from 'procctl';
      import { readFileSync } from 'node:fs';
      const r = await run('sh', ['-c', 'echo $PPID']);
      // The kernel's own answer: field 6 of /proc/self/stat (0 when the session began outside this pid namespace or before init).
      const stat = readFileSync('/proc/self/stat', 'utf8');
      const kernelSid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);
      console.log(JSON.stringify({ same: procctl.run === run, sid: getsid() === kernelSid, ppid: Number(r.stdout), pid: process.pid, status: r.status.exitCode }));
    `], { cwd: installed.dir, env: consumerEnv() });
    expect(esm.stderr).toBe('');
    expect(JSON.parse(esm.stdout)).toEqual({ same: true, sid: true, ppid: JSON.parse(esm.stdout).pid, pid: JSON.parse(esm.stdout).pid, status: 0 });
    const cli = sh(path.join(installed.dir, 'node_modules', '.bin', 'procctl'), ['--version'], { cwd: installed.dir, env: consumerEnv() });
    expect(cli.stdout).toBe(`procctl ${pkg.version}\n`);
    // procctl init execs into the prebuilt static init: nothing was compiled.
    const init = sh(path.join(installed.dir, 'node_modules', '.bin', 'procctl'), ['init', '-s', '--', 'sh', '-c', 'exit 5'], { cwd: installed.dir, env: consumerEnv() });
    expect(init.stderr).toBe('');
    expect(init.code).toBe(5);
    const direct = sh(path.join(installed.dir, 'node_modules', 'procctl', 'prebuilds', `linux-${process.arch}`, 'procctl-init'), ['--version'], { env: consumerEnv() });
    expect(direct.stdout).toMatch(/^procctl(-init)? /);
  });

  it('spawns as nobody (CJS and ESM) and `procctl exec nobody` drops in place', (ctx) => {
    needsRoot(ctx, 'switches to nobody');
    const cjs = sh(process.execPath, ['-e', "require('procctl').run('id', ['-u'], { user: 'nobody' }).then((r) => process.stdout.write(r.stdout))"], { cwd: installed.dir, env: consumerEnv({ PATH: `${bareBin}:/usr/bin:/bin` }) });
    expect(cjs.stdout).toBe('65534\n');
    const esm = sh(process.execPath, ['--input-type=module', '-e', "import { run } from 'procctl'; process.stdout.write((await run('id', ['-un'], { user: 'nobody' })).stdout)"], { cwd: installed.dir, env: consumerEnv({ PATH: `${bareBin}:/usr/bin:/bin` }) });
    expect(esm.stdout).toBe('nobody\n');
    const cli = sh(path.join(installed.dir, 'node_modules', '.bin', 'procctl'), ['exec', 'nobody', 'id', '-u'], { cwd: installed.dir, env: consumerEnv({ PATH: `${bareBin}:/usr/bin:/bin` }) });
    expect(cli.stderr).toBe('');
    expect(cli.stdout).toBe('65534\n');
  });

  it('type-checks: ESM default and named imports, CommonJS require (with @types/node)', () => {
    const dir = installed.dir;
    mkdirSync(path.join(dir, 'node_modules', '@types'), { recursive: true });
    symlinkSync(path.join(ROOT, 'node_modules', '@types', 'node'), path.join(dir, 'node_modules', '@types', 'node'));
    writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, types: ['node'], skipLibCheck: false },
      files: ['esm.mts', 'cjs.cts'],
    }));
    writeFileSync(path.join(dir, 'esm.mts'), [
      "import procctl, { spawn, type SpawnOptions, SystemError } from 'procctl';",
      "const opts: SpawnOptions = { user: 'nobody', setsid: true };",
      "const a = procctl.spawn('true', [], opts);",
      "const b = spawn('true');",
      'const e: typeof SystemError = procctl.SystemError;',
      "const sid: number = procctl.getsid();",
      '// @ts-expect-error setsid takes no arguments: the types are real, not any',
      'procctl.setsid(1);',
      'export { a, b, e, sid };',
      '',
    ].join('\n'));
    writeFileSync(path.join(dir, 'cjs.cts'), [
      "import procctl = require('procctl');",
      "const { run } = require('procctl') as typeof procctl;",
      "const p: Promise<unknown> = run('true');",
      "const c = procctl.spawn('true', [], { umask: 0o027 });",
      '// @ts-expect-error the CommonJS entry has no default export, at run time or in its types',
      'procctl.default;',
      'export = { p, c };',
      '',
    ].join('\n'));
    const tsc = sh(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { cwd: dir });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.code).toBe(0);
    // And the ESM default import is what it says at run time.
    const rt = sh(process.execPath, ['--input-type=module', '-e', "import procctl, * as ns from 'procctl'; console.log(typeof procctl.spawn, procctl.spawn === ns.spawn)"], { cwd: dir, env: consumerEnv() });
    expect(rt.stdout).toBe('function true\n');
  });
});

describe('Windows: the install builds nothing and the JS fallbacks run', () => {
  it('npm install --os=win32 of the tarball runs the install script, which skips the addon', () => {
    const r = freshInstall('consumer-win32', ['--os=win32']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('procctl: Windows: no native addon to build; procctl uses its JavaScript fallbacks there');
    expect(existsSync(path.join(r.dir, 'node_modules', 'procctl', 'build'))).toBe(false);
    // As on Windows (PROCCTL_PLATFORM=win32, which lib/ reads at load): no addon,
    // execvp emulated by spawning and exiting with the program's status.
    const win = consumerEnv({ PROCCTL_PLATFORM: 'win32', PATH: `${bareBin}:/usr/bin:/bin` });
    const probe = sh(process.execPath, ['-e', "const p = require('procctl'); console.log(JSON.stringify([p.supported.addon, p.supported.execve, p.supported.spawn])); p.execvp('sh', ['-c', 'exit 7'])"], { cwd: r.dir, env: win });
    expect(probe.stdout).toBe('[false,false,false]\n');
    expect(probe.code).toBe(7);
  });

  it('the install script itself, with the platform injected and no prebuild or compiler: exits 0, builds nothing', () => {
    const copy = path.join(work, 'win32-script');
    mkdirSync(path.join(copy, 'scripts'), { recursive: true });
    writeFileSync(path.join(copy, 'scripts', 'install.cjs'), readFileSync(path.join(ROOT, 'scripts', 'install.cjs')));
    writeFileSync(path.join(copy, 'package.json'), JSON.stringify({ name: 'procctl', version: pkg.version }));
    const r = sh(process.execPath, [path.join(copy, 'scripts', 'install.cjs')], { cwd: copy, env: consumerEnv({ PROCCTL_PLATFORM: 'win32' }) });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Windows: no native addon to build');
    expect(readdirSync(copy).sort()).toEqual(['package.json', 'scripts']);
  });
});

describe('no prebuild for this machine: the install builds from source, offline', () => {
  it("node-gyp builds against this Node's own headers (--nodedir), downloading nothing", () => {
    const r = freshInstall('consumer-source');
    expect(r.code).toBe(0);
    const mod = path.join(r.dir, 'node_modules', 'procctl');
    rmSync(path.join(mod, 'prebuilds'), { recursive: true });
    // An empty HOME: no ~/.npmrc nodedir and no node-gyp header cache to fall back on;
    // npm offline, so a header download would fail the build.
    const home = path.join(work, 'empty-home');
    mkdirSync(home);
    const rebuilt = npm(['rebuild', 'procctl', '--foreground-scripts'], r.dir, { HOME: home, PATH: `${bareBin}:/usr/bin:/bin` });
    expect(rebuilt.code).toBe(0);
    const headers = path.resolve(path.dirname(realpathSync(process.execPath)), '..');
    expect(rebuilt.stderr).toContain(`procctl: building the addon from source: node-gyp rebuild --nodedir=${headers}`);
    expect(existsSync(path.join(home, '.cache', 'node-gyp'))).toBe(false);
    const probe = sh(process.execPath, ['-e', "const p = require('procctl'); console.log(require('node-gyp-build').path(require('path').dirname(require.resolve('procctl/package.json'))), p.supported.spawn)"], { cwd: r.dir, env: consumerEnv() });
    expect(probe.stdout).toBe(`${path.join(mod, 'build', 'Release', 'procctl.node')} true\n`);
  }, 900_000);
});

describe('no usable prebuild and no compiler: the install fails saying what to do', () => {
  it('names the missing compiler, make, Python and headers, and never downloads', () => {
    const copy = path.join(work, 'no-prebuild');
    mkdirSync(path.join(copy, 'scripts'), { recursive: true });
    writeFileSync(path.join(copy, 'scripts', 'install.cjs'), readFileSync(path.join(ROOT, 'scripts', 'install.cjs')));
    writeFileSync(path.join(copy, 'package.json'), JSON.stringify({ name: 'procctl', version: pkg.version }));
    // node-gyp-build from the repository, so the script can look for (absent) prebuilds.
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'));
    const node = path.join(work, 'bare-node', 'bin');
    mkdirSync(node, { recursive: true });
    // A node with no include/node next to it, as some distribution packages have.
    copyFileSync(process.execPath, path.join(node, 'node'));
    chmodSync(path.join(node, 'node'), 0o755);
    const r = sh(path.join(node, 'node'), [path.join(copy, 'scripts', 'install.cjs')], { cwd: copy, env: consumerEnv({ npm_config_nodedir: path.join(work, 'nowhere') }) });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^procctl: no usable prebuilt addon: No native build was found for platform=linux/);
    for (const what of ['a C++ compiler', 'make', 'Python 3', "Node's headers"]) expect(r.stderr).toContain(`  - ${what}`);
    expect(r.stderr).toContain('npm rebuild procctl');
    expect(readdirSync(copy).sort()).toEqual(['node_modules', 'package.json', 'scripts']);
  });
});
