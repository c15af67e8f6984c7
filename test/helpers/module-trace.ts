import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const TRACER = resolve(import.meta.dirname, 'trace-modules.cjs');

/** What one keyturn process loaded: the full CLI (Node's ESM loader) or not, and its files. */
export interface ProcessTrace {
  fullCli: boolean;
  files: string[];
}

/**
 * Traces many keyturn processes at once (trace-modules.cjs, preloaded through NODE_OPTIONS): `env`
 * for them, and `loaded()` afterwards, one entry per keyturn process (not its helper processes):
 * whether it loaded Node's ESM loader, i.e. the full CLI beside the launcher, and which files.
 * `loadedFullCli()` is the first of these alone.
 */
export async function traceProcesses(env: Record<string, string>): Promise<{
  env: Record<string, string>;
  loaded(): Promise<ProcessTrace[]>;
  loadedFullCli(): Promise<boolean[]>;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'keyturn-trace-'));
  const loaded = async (): Promise<ProcessTrace[]> => {
    const traces = await Promise.all(
      (await readdir(dir)).map(
        async (name) =>
          JSON.parse(await readFile(join(dir, name), 'utf8')) as {
            main: string;
            files: string[];
            builtins: string[];
          },
      ),
    );
    await rm(dir, { recursive: true, force: true });
    return traces
      .filter((t) => t.main.endsWith('keyturn.cjs'))
      .map((t) => ({
        fullCli: t.builtins.includes('NativeModule internal/modules/esm/loader'),
        files: t.files,
      }));
  };
  return {
    env: { ...env, NODE_OPTIONS: `-r ${TRACER}`, KEYTURN_TRACE_DIR: dir },
    loaded,
    loadedFullCli: async () => (await loaded()).map((t) => t.fullCli),
  };
}
