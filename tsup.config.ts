import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { cli: 'src/cli/main.ts', index: 'src/index.ts' },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  splitting: true,
  sourcemap: false,
  // Not cleaned: several test runs may build while others run the CLI; CI starts from a fresh clone.
  clean: false,
  dts: { entry: { index: 'src/index.ts' } },
  // Dependencies stay external: they are loaded lazily, only by the commands that use them.
  banner: ({ format }) => (format === 'esm' ? {} : {}),
});
