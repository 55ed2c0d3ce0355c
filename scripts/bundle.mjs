// Bundle the CLI into one CommonJS script. src/launch.ts runs it through node:vm with a V8 code
// cache, which Node 20 cannot do for ES modules: start-up is most of a command's cost, and the
// cache skips compiling what the command already compiled last time (about 30 ms per command).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

const common = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  minify: true,
  // import.meta is ESM-only; the script knows its own file.
  define: { 'import.meta.url': '__agentstateUrl' },
  banner: { js: "var __agentstateUrl=require('node:url').pathToFileURL(__filename).href;" },
  // jsonc-parser's main entry is a UMD wrapper whose requires esbuild cannot follow.
  alias: { 'jsonc-parser': './node_modules/jsonc-parser/lib/esm/main.js' },
  // The web view's page (src/web/view.html) is inlined as text: one file, no asset to find at run time.
  loader: { '.html': 'text' },
  logLevel: 'warning',
};

// node:child_process brings node:net, node:dgram and the stream modules with it: ~3 ms of CPU on
// Node 22 for every command, most of which never start a process (commander requires it at load
// for executable subcommands, which we do not have; a write commits without git since the ref
// moves in-process). In the CLI bundle it is loaded on the first call instead.
const LAZY_FUNCTIONS = ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'];
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(build) {
    build.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      args.namespace === 'lazy' ? { path: 'node:child_process', external: true } : { path: 'child_process', namespace: 'lazy' },
    );
    build.onLoad({ filter: /.*/, namespace: 'lazy' }, () => ({
      loader: 'js',
      contents: `let loaded; const load = () => (loaded ??= require('node:child_process'));
module.exports = { ${LAZY_FUNCTIONS.map((name) => `${name}: (...args) => load().${name}(...args)`).join(', ')} };`,
    }));
  },
};

await build({ ...common, entryPoints: ['src/cli.ts'], outfile: 'dist/agentstate.cjs', plugins: [lazyChildProcess] });

// The launcher the bin requires, CommonJS as well: an ES module entry costs Node's ESM loader
// (measured: 3 ms of CPU per command on Node 22, 7 ms on Node 20).
// It names its code caches by the bundle's content hash, computed here once (src/launch.ts).
const bundleHash = createHash('sha1').update(readFileSync('dist/agentstate.cjs')).digest('hex').slice(0, 12);
await build({ ...common, entryPoints: ['src/launch.ts'], outfile: 'dist/launch.cjs', define: { ...common.define, __AGENTSTATE_BUILD__: JSON.stringify(bundleHash) } });

// Commands that carry a library no other command may pay to read or compile get a file of their
// own, loaded only when they run (src/chunk.ts): `setup` (jsonc-parser) and `mcp` (the MCP SDK
// with its zod 4 and ajv, ~530 KB).
for (const name of ['setup', 'mcp']) await build({ ...common, entryPoints: [`src/commands/${name}.ts`], outfile: `dist/${name}.cjs` });
