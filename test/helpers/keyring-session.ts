/**
 * A private Secret Service for keyring tests: a D-Bus session bus of our own (dbus-daemon) and
 * gnome-keyring-daemon on it, both under a temporary HOME, so no test ever touches the real user's
 * keyring. Pass `env` to the CLI children; `close()` stops both daemons and removes the folder.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';

export interface KeyringSession {
  /** DBUS_SESSION_BUS_ADDRESS and XDG_RUNTIME_DIR of the private session. */
  env: Record<string, string>;
  /** The accounts and secrets stored under `service`, read straight from the Secret Service. */
  entries(service: string): Promise<{ account: string; password: string }[]>;
  /** Stores `password` under service/account, straight through the library (as keyturn's child does). */
  store(service: string, account: string, password: string): Promise<void>;
  /** Removes the entry service/account, straight through the library. */
  remove(service: string, account: string): Promise<void>;
  /**
   * Stops the Secret Service (SIGSTOP) until the returned function is called: the bus still answers,
   * calls to org.freedesktop.secrets never do — a hung keyring daemon.
   */
  hang(): () => void;
  close(): Promise<void>;
}

const KEYRING_MODULE = createRequire(import.meta.url).resolve('@napi-rs/keyring');
/** Unlocks (and on first start creates) the "login" collection; an empty password creates none. */
const LOGIN_PASSWORD = 'keyturn-test-keyring';

function busConfig(socket: string): string {
  // No <servicedir>: nothing is activated behind our back; the Secret Service is the daemon we start.
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`;
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Runs `script` (CommonJS, with `Keyring` bound to @napi-rs/keyring) in a child on the session bus;
 * `input` (a secret) goes to its stdin, never its argv.
 */
function keyringScript(script: string, env: Record<string, string>, input = ''): Promise<string> {
  const source = `const Keyring = require(${JSON.stringify(KEYRING_MODULE)});\n${script}`;
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, ['-e', source], { env, timeout: 10_000 }, (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    );
    child.stdin?.end(input);
  });
}

/**
 * Starts the session. With `secretService: false` the bus runs without any Secret Service, the way
 * a headless machine with D-Bus but no keyring daemon looks.
 */
export async function startKeyringSession(
  options: { secretService?: boolean } = {},
): Promise<KeyringSession> {
  for (const program of ['/usr/bin/dbus-daemon', '/usr/bin/gnome-keyring-daemon']) {
    if (!existsSync(program)) {
      throw new Error(
        `${program} is missing: run \`npm run system-deps\` (Debian packages dbus, gnome-keyring).`,
      );
    }
  }
  const root = await mkdtemp(join(tmpdir(), 'keyturn-keyring-'));
  const runtime = join(root, 'run');
  await mkdir(runtime, { mode: 0o700 });
  await chmod(runtime, 0o700);
  const configFile = join(root, 'bus.conf');
  await writeFile(configFile, busConfig(join(runtime, 'bus')));
  const daemonEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: root,
    XDG_RUNTIME_DIR: runtime,
    XDG_DATA_HOME: join(root, 'data'),
    XDG_CONFIG_HOME: join(root, 'config'),
  };
  let bus: ChildProcess | undefined;
  let keyringDaemon: ChildProcess | undefined;
  const close = async () => {
    await stop(keyringDaemon);
    await stop(bus);
    await rm(root, { recursive: true, force: true });
  };
  try {
    const busProcess = spawn(
      'dbus-daemon',
      [`--config-file=${configFile}`, '--nofork', '--print-address=1'],
      {
        env: daemonEnv,
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    bus = busProcess;
    const address = await new Promise<string>((resolve, reject) => {
      let out = '';
      busProcess.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        if (out.includes('\n')) resolve(out.trim());
      });
      busProcess.once('exit', (code) => reject(new Error(`dbus-daemon exited with ${code}`)));
    });
    const env = { DBUS_SESSION_BUS_ADDRESS: address, XDG_RUNTIME_DIR: runtime };
    const childEnv = { ...daemonEnv, ...env };
    if (options.secretService !== false) {
      keyringDaemon = spawn('gnome-keyring-daemon', ['--foreground', '--unlock', '--components=secrets'], {
        env: childEnv,
        stdio: ['pipe', 'ignore', 'ignore'],
      });
      keyringDaemon.stdin?.end(`${LOGIN_PASSWORD}\n`);
      // Ready when a write to the default collection goes through.
      const deadline = Date.now() + 20_000;
      for (;;) {
        const ok = await keyringScript(
          `const e = new Keyring.Entry('keyturn-session-ready', 'ready');
           try { e.setPassword('1'); e.deleteCredential(); process.stdout.write('ok'); } catch {}`,
          childEnv,
        ).catch(() => '');
        if (ok === 'ok') break;
        if (Date.now() > deadline) throw new Error('gnome-keyring-daemon did not become ready');
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
    }
    return {
      env,
      entries: async (service) =>
        JSON.parse(
          await keyringScript(
            `process.stdout.write(JSON.stringify(Keyring.findCredentials(${JSON.stringify(service)})));`,
            childEnv,
          ),
        ) as { account: string; password: string }[],
      store: async (service, account, password) => {
        await keyringScript(
          `new Keyring.Entry(${JSON.stringify(service)}, ${JSON.stringify(account)}).setPassword(require('fs').readFileSync(0, 'utf8'));`,
          childEnv,
          password,
        );
      },
      remove: async (service, account) => {
        await keyringScript(
          `new Keyring.Entry(${JSON.stringify(service)}, ${JSON.stringify(account)}).deleteCredential();`,
          childEnv,
        );
      },
      hang: () => {
        const daemon = keyringDaemon;
        if (daemon?.pid === undefined) throw new Error('this session has no Secret Service to hang');
        process.kill(daemon.pid, 'SIGSTOP');
        return () => process.kill(daemon.pid as number, 'SIGCONT');
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * A "session bus" that accepts connections and never answers a byte: the shape of a hung Secret
 * Service or D-Bus daemon. Point DBUS_SESSION_BUS_ADDRESS at `address`.
 */
export async function startSilentBus(): Promise<{ address: string; close(): Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'keyturn-silent-bus-'));
  const path = join(root, 'bus');
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    address: `unix:path=${path}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(root, { recursive: true, force: true });
    },
  };
}

/**
 * A "session bus" that completes the SASL handshake (`OK <guid>`) and then never answers a message:
 * the shape of a bus whose daemon, or whatever answers for the Secret Service, hangs after accepting
 * the connection. `authenticated` counts the handshakes it completed.
 */
export async function startStalledBus(): Promise<{
  address: string;
  authenticated(): number;
  close(): Promise<void>;
}> {
  const root = await mkdtemp(join(tmpdir(), 'keyturn-stalled-bus-'));
  const path = join(root, 'bus');
  const sockets = new Set<Socket>();
  let handshakes = 0;
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    let text = '';
    let answered = false;
    socket.setEncoding('latin1').on('data', (chunk: string) => {
      if (answered) return;
      text += chunk;
      if (/^\0AUTH EXTERNAL [0-9a-f]*\r\n/.test(text)) {
        answered = true;
        handshakes++;
        socket.write('OK 0123456789abcdef0123456789abcdef\r\n');
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    address: `unix:path=${path}`,
    authenticated: () => handshakes,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(root, { recursive: true, force: true });
    },
  };
}
