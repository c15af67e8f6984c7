// Installs what the MCP conformance test (test/mcp/conformance.test.ts) runs, once per machine, into
// a cache folder — not into package.json: the official suite @modelcontextprotocol/conformance and
// the Node 22 it needs (it calls fs.globSync; keyturn itself stays on Node >= 20.19), from the npm
// registry's node-<platform>-<arch> package. Prints nothing when the cache is already there.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const CONFORMANCE_VERSION = '0.1.16';
export const NODE_VERSION = '22.23.5';

/** The cache folder, its Node 22 binary and the suite's entry point. */
export function conformanceTools(env = process.env) {
  const cacheRoot =
    env.KEYTURN_TEST_CACHE ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'keyturn-test');
  const dir = join(cacheRoot, `mcp-conformance-${CONFORMANCE_VERSION}-node-${NODE_VERSION}`);
  return {
    dir,
    node: join(dir, 'node_modules', '.bin', 'node'),
    conformance: join(dir, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js'),
  };
}

export function installConformanceTools(env = process.env) {
  const tools = conformanceTools(env);
  if (existsSync(tools.node) && existsSync(tools.conformance)) return tools;
  const nodePackage = `node-${process.platform === 'win32' ? 'win' : process.platform}-${process.arch}`;
  console.error(
    `Installing @modelcontextprotocol/conformance@${CONFORMANCE_VERSION} and ${nodePackage}@${NODE_VERSION} into ${tools.dir} (once per machine)…`,
  );
  mkdirSync(join(tools.dir, '..'), { recursive: true });
  // Installed beside the cache folder, then renamed into place: a half-done install is never used.
  const staging = mkdtempSync(`${tools.dir}.partial-`);
  try {
    writeFileSync(join(staging, 'package.json'), '{ "private": true }\n');
    execFileSync(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        '--engine-strict=false',
        `${nodePackage}@${NODE_VERSION}`,
        `@modelcontextprotocol/conformance@${CONFORMANCE_VERSION}`,
      ],
      { cwd: staging, stdio: ['ignore', 'ignore', 'inherit'] },
    );
    rmSync(tools.dir, { recursive: true, force: true });
    renameSync(staging, tools.dir);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    console.error(
      `Could not install the MCP conformance suite (${error.message}). It needs the npm registry once; run \`node scripts/conformance-setup.mjs\` with network access.`,
    );
    process.exit(1);
  }
  return tools;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) installConformanceTools();
