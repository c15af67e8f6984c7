import { build } from 'esbuild';

/**
 * Bundles a TypeScript module of ours into one file a child process can run with plain `node`:
 * `packages: 'external'` leaves node_modules to Node (then the file must sit where they resolve).
 */
export async function bundleForNode(
  entry: string,
  outfile: string,
  options: { format: 'esm' | 'cjs'; packages?: 'external' },
): Promise<void> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    ...(options.packages === undefined ? {} : { packages: options.packages }),
    platform: 'node',
    format: options.format,
    target: 'node20',
    logLevel: 'silent',
  });
}
