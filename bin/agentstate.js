#!/usr/bin/env node
'use strict';
// CommonJS (bin/package.json): Node starts it without its ES module loader.
require('../dist/launch.cjs').launch(process.argv);
