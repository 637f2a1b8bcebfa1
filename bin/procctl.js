#!/usr/bin/env node
'use strict';
// procctl command line: `procctl init ...` and `procctl exec ...` (see docs/init.md).
require('../dist/cli.js').main(process.argv.slice(2));
