import { defineConfig, type Options } from 'tsup';

/** The CommonJS files: one self-contained file each, run by Node without its ESM loader. */
const commonjs: Options = {
  format: ['cjs'],
  outExtension: () => ({ js: '.cjs' }),
  target: 'node20',
  platform: 'node',
  splitting: false,
  sourcemap: false,
  clean: false,
};

// Not cleaned: several test runs may build while others run the CLI; CI starts from a fresh clone.
export default defineConfig([
  {
    entry: { cli: 'src/cli/main.ts', index: 'src/index.ts' },
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    splitting: true,
    sourcemap: false,
    clean: false,
    dts: { entry: { index: 'src/index.ts' } },
  },
  {
    // The executable: CommonJS so `keyturn token` starts without Node's ESM loader (see launcher.ts).
    ...commonjs,
    entry: { keyturn: 'src/cli/launcher.ts' },
    external: [
      './cli.js',
      './keyturn-extras.cjs',
      './keyturn-keyring.cjs',
      './keyturn-lock.cjs',
      'smol-toml',
    ],
    banner: { js: '#!/usr/bin/env node' },
  },
  {
    // What the executable needs only in some runs (cli/launcher-extras.ts), required from beside it.
    ...commonjs,
    entry: {
      'keyturn-extras': 'src/cli/launcher-extras.ts',
      'keyturn-keyring': 'src/cli/launcher-keyring.ts',
      'keyturn-lock': 'src/cli/launcher-lock.ts',
    },
  },
  {
    // The keyring child program (adapters/keyring-child.ts), which the keyring client starts as
    // `node dist/keyring-child.cjs` for each bounded keyring call.
    ...commonjs,
    entry: { 'keyring-child': 'src/adapters/keyring-child.ts' },
    external: ['@napi-rs/keyring'],
  },
]);
