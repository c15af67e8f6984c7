// Makes sure the system programs the tests drive are installed: Debian's chromium (browser e2e),
// squid (proxy tests), gnome-keyring and dbus (keyring tests), openssl (test certificates).
// Installs what is missing when running as root; otherwise fails naming the packages.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const needs = [
  { pkg: 'chromium', present: () => existsSync('/usr/bin/chromium') },
  { pkg: 'squid', present: () => existsSync('/usr/sbin/squid') },
  { pkg: 'gnome-keyring', present: () => existsSync('/usr/bin/gnome-keyring-daemon') },
  { pkg: 'dbus', present: () => existsSync('/usr/bin/dbus-run-session') },
  { pkg: 'openssl', present: () => spawnSync('openssl', ['version']).status === 0 },
];

const missing = needs.filter((n) => !n.present()).map((n) => n.pkg);
if (missing.length === 0) process.exit(0);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (!isRoot || process.platform !== 'linux' || !existsSync('/usr/bin/apt-get')) {
  console.error(`The tests need these Debian packages: ${missing.join(' ')}.`);
  console.error(`Install them: sudo apt-get install -y ${missing.join(' ')}`);
  process.exit(1);
}
console.error(`Installing ${missing.join(' ')} (apt-get)…`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
try {
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
    stdio: 'inherit',
    env,
  });
} catch {
  console.error(`apt-get could not install ${missing.join(' ')}; install them and run npm test again.`);
  process.exit(1);
}
const still = needs.filter((n) => !n.present()).map((n) => n.pkg);
if (still.length > 0) {
  console.error(`Still missing after apt-get: ${still.join(' ')}`);
  process.exit(1);
}
