// Prints the link flags binding.gyp gives procctl-init on Linux: -static when the
// C library has a static archive (glibc's libc.a, musl's), so the init runs in
// any image whatever its libc; nothing otherwise (a dynamic init works too, it
// just needs the image's libc to match). CMakeLists.txt makes the same check.
'use strict';
const { execFileSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const { isAbsolute } = require('node:path');

const [cc, ...ccArgs] = (process.env.CXX || 'c++').trim().split(/\s+/);
let archive = '';
try {
  archive = execFileSync(cc, [...ccArgs, '-print-file-name=libc.a'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
} catch {
  // no compiler answer: link dynamically
}
console.log(isAbsolute(archive) && existsSync(archive) ? '-static' : '');
