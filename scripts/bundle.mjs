// Bundle the CLI into one CommonJS script. src/launch.ts runs it through node:vm with a V8 code
// cache, which Node 20 cannot do for ES modules: start-up is most of a command's cost, and the
// cache skips compiling what the command already compiled last time (about 30 ms per command).
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli.ts'],
  outfile: 'dist/agentstate.cjs',
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  minify: true,
  // import.meta is ESM-only; the script knows its own file.
  define: { 'import.meta.url': '__agentstateUrl' },
  banner: { js: "var __agentstateUrl=require('node:url').pathToFileURL(__filename).href;" },
  // The web view's page (src/web/view.html) is inlined as text: one file, no asset to find at run time.
  loader: { '.html': 'text' },
  logLevel: 'warning',
});
