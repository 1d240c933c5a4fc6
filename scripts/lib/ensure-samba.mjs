// A throw-away Samba AD domain controller for the directory-sync tests (`npm test`).
// Provisions a fresh domain EXAMPLE.TEST into a temporary directory, starts it on loopback only,
// waits for verified LDAPS, and returns the TEST_LDAP_* variables for mocha plus a cleanup that
// stops the server and removes the directory. See docs/testing.md ("The test directory").

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Change, Attribute, Client } from 'ldapts';

export class SambaSetupError extends Error {}

const REALM = 'EXAMPLE.TEST';
const DOMAIN = 'EXAMPLE';
const HOST_NAME = 'dc1';
export const BASE_DN = 'DC=example,DC=test';
export const BIND_DN = `CN=Administrator,CN=Users,${BASE_DN}`;
/** The name in the DC's certificate (CN only, no subjectAltName): TLS clients verify against it. */
export const SERVERNAME = 'DC1.example.test';
/**
 * Addresses tried in order. Samba's ports (389, 636, 3268, 3269) are fixed, so a second instance (a developer's DC,
 * a concurrent `npm test`) needs another loopback address.
 */
const CANDIDATE_HOSTS = ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4'];
const PORTS = [389, 636, 3268, 3269];
const APT_PACKAGES = ['samba', 'samba-ad-provision', 'samba-dsdb-modules', 'samba-vfs-modules', 'ldap-utils'];

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

function findOnPath(name) {
  for (const dir of (process.env.PATH || '/usr/sbin:/usr/bin:/sbin:/bin').split(':').concat(['/usr/sbin', '/usr/bin'])) {
    const file = path.join(dir, name);
    if (fs.existsSync(file)) return file;
  }
  return null;
}

/**
 * Runs a command with its output appended to logFile (or sent to our stderr when logFile is null).
 * Resolves with the exit code; rejects only if shouldAbort() turns true (the child is then killed).
 */
function runLogged(cmd, args, { logFile = null, env = process.env, shouldAbort = () => false } = {}) {
  return new Promise((resolve, reject) => {
    const out = logFile ? fs.openSync(logFile, 'a') : 2;
    let child;
    try {
      child = spawn(cmd, args, { stdio: ['ignore', out, out], env });
    } catch {
      if (logFile) fs.closeSync(out);
      resolve(-1);
      return;
    }
    let finished = false;
    const poll = setInterval(() => {
      if (shouldAbort()) {
        clearInterval(poll);
        child.kill('SIGTERM');
        reject(new SambaSetupError('interrupted'));
      }
    }, 200);
    const done = (code) => {
      if (finished) return; // 'error' may be followed by 'close'
      finished = true;
      clearInterval(poll);
      if (logFile) fs.closeSync(out);
      resolve(code);
    };
    child.on('error', () => done(-1));
    child.on('close', (code, signal) => done(code ?? (signal ? 128 : 1)));
  });
}

function tail(file, lines = 20) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * The Debian packages of `packages` (APT_PACKAGES and the caller's extras) that are not installed (`samba` alone does
 * not provision a DC: the schema files, DSDB and VFS modules are only "Recommends"). Without dpkg-query: all of them if
 * samba-tool is missing.
 */
async function missingPackages(packages) {
  if (!findOnPath('dpkg-query')) return findOnPath('samba-tool') && findOnPath('samba') ? [] : packages;
  const missing = [];
  for (const name of packages) {
    const { code, out } = await new Promise((resolve) => {
      let text = '';
      const child = spawn('dpkg-query', ['-W', '-f=${Status}', name], { stdio: ['ignore', 'pipe', 'ignore'] });
      child.stdout.on('data', (d) => { text += d; });
      child.on('error', () => resolve({ code: -1, out: '' }));
      child.on('close', (c) => resolve({ code: c, out: text }));
    });
    // "install ok installed"; not "unknown ok not-installed" (a package apt knows of but never installed).
    if (code !== 0 || !/ ok installed$/.test(out.trim())) missing.push(name);
  }
  return missing;
}

async function installSamba(log, packages) {
  if (!isRoot()) {
    throw new SambaSetupError(`Samba AD DC packages are missing (${packages.join(' ')}) and this is not root, so they cannot be `
      + `installed here. Install them (sudo apt-get install ${packages.join(' ')}) or set SKIP_SAMBA=1 (the directory-sync tests then fail).`);
  }
  if (!fs.existsSync('/usr/bin/apt-get')) {
    throw new SambaSetupError(`Samba AD DC packages are missing (${packages.join(' ')}) and apt-get is not available; `
      + 'install Samba (AD DC) yourself or set SKIP_SAMBA=1');
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  log(`missing ${packages.join(' ')}; running apt-get update && apt-get install -y --no-install-recommends ${packages.join(' ')}…`);
  if (await runLogged('apt-get', ['update', '-q'], { env }) !== 0) {
    log('apt-get update failed; trying the install with the package lists already on this machine');
  }
  if (await runLogged('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...packages], { env }) !== 0) {
    throw new SambaSetupError(`apt-get install ${packages.join(' ')} failed (see output above)`);
  }
  // The Debian packages enable (but in a container usually do not start) the system's own smbd/nmbd/samba-ad-dc.
  log('Samba installed');
}

/** True when something listens on host:port (we can connect) or the port cannot be bound there. */
function portTaken(host, port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', (error) => resolve(error.code === 'EADDRINUSE' || error.code === 'EADDRNOTAVAIL' ? error.code : false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(false)));
  });
}

/** The first candidate address with all of Samba's ports free, or null. `busy` collects why the others were skipped. */
async function nextFreeHost(candidates, busy) {
  for (const host of candidates) {
    const taken = [];
    for (const port of PORTS) {
      if (await portTaken(host, port)) taken.push(port);
    }
    if (taken.length === 0) return host;
    busy.push(`${host} (port ${taken.join(', ')} in use)`);
  }
  return null;
}

function noFreeHost(busy) {
  return new SambaSetupError(`no free loopback address for the test Samba DC: ${busy.join('; ')}. Other Samba (or LDAP) `
    + 'servers hold the LDAP ports: stop one, or set SKIP_SAMBA=1 (the directory-sync tests then fail).');
}

/**
 * Writes a CA and a host certificate in the layout Samba would generate itself on first start (CN=DC1.example.test,
 * no subjectAltName), with EC keys: openssl takes ~50 ms where Samba's own RSA-4096 generation takes seconds.
 * Returns false (Samba then generates its own) if openssl is missing or fails.
 */
async function writeTlsFiles(dir, logFile) {
  const openssl = findOnPath('openssl');
  if (!openssl) return false;
  const tls = path.join(dir, 'private', 'tls');
  fs.mkdirSync(tls, { recursive: true, mode: 0o700 });
  const f = (name) => path.join(tls, name);
  const ok = async (args) => (await runLogged(openssl, args, { logFile })) === 0;
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  const done = await ok(['req', '-x509', ...ec, '-keyout', f('ca-key.pem'), '-out', f('ca.pem'), '-days', '7',
    '-subj', `/O=Samba Administration/OU=scimd test CA/CN=${SERVERNAME}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'])
    && await ok(['req', '-new', ...ec, '-keyout', f('key.pem'), '-out', f('host.csr'),
      '-subj', `/O=Samba Administration/OU=scimd test host/CN=${SERVERNAME}`])
    && await ok(['x509', '-req', '-in', f('host.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca-key.pem'), '-CAcreateserial',
      '-days', '7', '-out', f('cert.pem'), '-extfile', '/dev/null']);
  for (const name of ['ca-key.pem', 'host.csr', 'ca.srl']) fs.rmSync(f(name), { force: true });
  if (!done) {
    for (const name of ['ca.pem', 'cert.pem', 'key.pem']) fs.rmSync(f(name), { force: true });
    return false;
  }
  fs.chmodSync(f('key.pem'), 0o600);
  return true;
}

function readPid(dir) {
  try {
    const pid = Number(fs.readFileSync(path.join(dir, 'pid', 'samba.pid'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Alive and not a zombie. */
function processAlive(pid) {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/** Binds over verified LDAPS; resolves a bound client or rejects with the last error. */
async function connect({ host, caFile, password }) {
  const client = new Client({
    url: `ldaps://${host}:636`,
    connectTimeout: 2000,
    timeout: 5000,
    tlsOptions: { ca: fs.readFileSync(caFile), servername: SERVERNAME, minVersion: 'TLSv1.2' },
  });
  try {
    await client.bind(BIND_DN, password);
    return client;
  } catch (error) {
    await client.unbind().catch(() => {});
    throw error;
  }
}

/**
 * Returns { env, host, cleanup }: env holds the TEST_LDAP_* variables for mocha; cleanup() stops the DC and
 * removes its directory. With TEST_LDAP_URL already set, that directory is used as given (checked by a bind).
 * `extraPackages`: Debian packages installed beside Samba's when missing (the sync benchmark's ldb-tools).
 */
export async function ensureTestDirectory({ log, shouldAbort = () => false, extraPackages = [] }) {
  if (process.env.TEST_LDAP_URL) return useSupplied(log);

  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  const missing = await missingPackages([...APT_PACKAGES, ...extraPackages]);
  if (missing.length > 0) {
    await installSamba(log, missing);
    if (!findOnPath('samba-tool') || !findOnPath('samba')) throw new SambaSetupError('Samba was installed but samba-tool/samba are not on PATH');
  }
  if (!isRoot()) {
    throw new SambaSetupError('the test Samba DC needs root (it binds the fixed LDAP ports 389/636/3268/3269). '
      + 'Run as root, point TEST_LDAP_URL (and the other TEST_LDAP_* variables) at a directory of your own, '
      + 'or set SKIP_SAMBA=1 (the directory-sync tests then fail).');
  }
  // Checked now to fail before provisioning, and again before starting (provisioning takes seconds).
  const firstHost = await nextFreeHost(CANDIDATE_HOSTS, []);
  if (!firstHost) throw noFreeHost([`${CANDIDATE_HOSTS.join(', ')} all in use`]);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scimd-test-samba-'));
  const smbConf = path.join(dir, 'etc', 'smb.conf');
  const logFile = path.join(dir, 'setup.log');
  let stopped = false;
  const cleanup = async () => {
    if (stopped) return;
    stopped = true;
    const pid = readPid(dir);
    if (pid && processAlive(pid)) {
      process.kill(pid, 'SIGTERM');
      const deadline = Date.now() + 10_000;
      while (processAlive(pid) && Date.now() < deadline) await sleep(100);
      if (processAlive(pid)) log(`Samba (pid ${pid}) did not stop within 10 s after SIGTERM`);
      else log(`Samba (pid ${pid}) stopped`);
    }
    fs.rmSync(dir, { recursive: true, force: true });
    log(`removed ${dir}`);
  };

  try {
    for (const sub of ['etc', 'pid', 'log', 'ncalrpc', 'winbindd']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
    fs.writeFileSync(smbConf, ''); // empty: provision must not inherit /etc/samba/smb.conf
    // Upper, lower, digit and symbol: provision checks complexity before the policy is relaxed.
    const password = `Ad-${randomBytes(12).toString('base64url')}-9x`;
    const options = {
      'server services': 'ldap',
      'interfaces': `${firstHost}/8`, // rewritten below if another server takes the address first
      'bind interfaces only': 'yes',
      'prefork children': '2',
      'ldb:nosync': 'true', // test data only: no fsync
      'pid directory': path.join(dir, 'pid'),
      'log file': path.join(dir, 'log', 'samba.log'),
      'ncalrpc dir': path.join(dir, 'ncalrpc'),
      'winbindd socket directory': path.join(dir, 'winbindd'),
    };
    log(`provisioning Samba AD DC ${REALM} in ${dir}…`);
    const code = await runLogged('samba-tool', [
      'domain', 'provision', '-s', smbConf, '--server-role=dc', '--dns-backend=NONE', '--use-rfc2307',
      '--backend-store=mdb', `--targetdir=${dir}`, `--realm=${REALM}`, `--domain=${DOMAIN}`, `--host-name=${HOST_NAME}`,
      `--adminpass=${password}`, ...Object.entries(options).map(([k, v]) => `--option=${k} = ${v}`),
    ], { logFile, shouldAbort });
    if (code !== 0) throw new SambaSetupError(`samba-tool domain provision failed (exit ${code}); last lines of ${logFile}:\n${tail(logFile)}`);

    log(`provisioned (${elapsed()}); starting samba…`);
    const caFile = path.join(dir, 'private', 'tls', 'ca.pem');
    if (!(await writeTlsFiles(dir, logFile))) log('openssl unavailable or failed: Samba will generate its own TLS keys (slower)');

    // Start on the first free address; if another server binds it between the check and the start (Samba then
    // exits with NT_STATUS_ADDRESS_ALREADY_ASSOCIATED), move on to the next one.
    const busy = [];
    let host = await nextFreeHost(CANDIDATE_HOSTS, busy);
    if (!host) throw noFreeHost(busy);
    let client;
    for (;;) {
      if (host !== CANDIDATE_HOSTS[0]) log(`${busy.join('; ')}: using ${host}`);
      setInterfaces(smbConf, host);
      fs.rmSync(path.join(dir, 'pid', 'samba.pid'), { force: true });
      fs.rmSync(path.join(dir, 'log', 'samba.log'), { force: true });
      const startCode = await runLogged('samba', ['-s', smbConf, '-D'], { logFile, shouldAbort });
      if (startCode !== 0) throw new SambaSetupError(`samba -D failed (exit ${startCode}); last lines of ${logFile}:\n${tail(logFile)}`);
      try {
        client = await waitForLdaps({ dir, host, caFile, password, shouldAbort });
        break;
      } catch (error) {
        if (!(error instanceof AddressInUse)) throw error;
        busy.push(`${host} (taken while starting)`);
        const next = await nextFreeHost(CANDIDATE_HOSTS.slice(CANDIDATE_HOSTS.indexOf(host) + 1), busy);
        if (!next) throw noFreeHost(busy);
        host = next;
      }
    }
    try {
      await relaxPasswordPolicy(client);
    } finally {
      await client.unbind().catch(() => {});
    }
    log(`Samba AD DC ready on ldaps://${host}:636 (pid ${readPid(dir)}, ${elapsed()})`);
    return {
      host,
      cleanup,
      env: {
        TEST_LDAP_URL: `ldaps://${host}:636`,
        TEST_LDAP_CA_FILE: caFile,
        TEST_LDAP_SERVERNAME: SERVERNAME,
        TEST_LDAP_BIND_DN: BIND_DN,
        TEST_LDAP_BIND_PASSWORD: password,
        TEST_LDAP_BASE_DN: BASE_DN,
        // Removed with the run: suites need not delete what they created (a tree delete of 1,600 users takes ~10 s).
        TEST_LDAP_THROWAWAY: '1',
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

class AddressInUse extends Error {}

/**
 * For a DC that was stopped and is started again (the sync benchmark stops its DC for minutes to load users into
 * it): keeps `preferred` if its LDAP ports are still free, else writes the first free candidate address into
 * smb.conf, since another DC may have taken the address meanwhile. Returns the address.
 */
export async function claimFreeHost(smbConf, preferred) {
  const busy = [];
  const host = await nextFreeHost([preferred, ...CANDIDATE_HOSTS.filter((candidate) => candidate !== preferred)], busy);
  if (!host) throw noFreeHost(busy);
  setInterfaces(smbConf, host);
  return host;
}

function setInterfaces(smbConf, host) {
  const text = fs.readFileSync(smbConf, 'utf8');
  const updated = text.replace(/^(\s*interfaces\s*=).*$/m, `$1 ${host}/8`);
  if (!/^\s*interfaces\s*=/m.test(text)) throw new SambaSetupError(`${smbConf} has no interfaces line`);
  fs.writeFileSync(smbConf, updated);
}

async function waitForLdaps({ dir, host, caFile, password, shouldAbort }) {
  const waitSeconds = Number(process.env.SCIMD_TEST_SAMBA_WAIT || 30);
  const deadline = Date.now() + waitSeconds * 1000;
  const samba = path.join(dir, 'log', 'samba.log');
  let lastError;
  while (Date.now() < deadline) {
    if (shouldAbort()) throw new SambaSetupError('interrupted');
    const pid = readPid(dir);
    if (pid && !processAlive(pid)) {
      const lines = tail(samba);
      if (lines.includes('ADDRESS_ALREADY_ASSOCIATED')) throw new AddressInUse(host);
      throw new SambaSetupError(`samba (pid ${pid}) exited right after starting; last lines of ${samba}:\n${lines}`);
    }
    if (fs.existsSync(caFile)) {
      try {
        return await connect({ host, caFile, password });
      } catch (error) {
        lastError = error;
      }
    }
    await sleep(100);
  }
  throw new SambaSetupError(`Samba did not answer verified LDAPS on ${host}:636 within ${waitSeconds} s `
    + `(last error: ${lastError?.code || lastError?.message || 'no CA file yet'}); last lines of ${samba}:\n${tail(samba)}`);
}

/** No complexity, no minimum length, no history or age: tests set whatever passwords they like. */
async function relaxPasswordPolicy(client) {
  const set = (type, value) => new Change({ operation: 'replace', modification: new Attribute({ type, values: [value] }) });
  await client.modify(BASE_DN, [
    set('pwdProperties', '0'),
    set('minPwdLength', '0'),
    set('pwdHistoryLength', '0'),
    set('minPwdAge', '0'),
    set('maxPwdAge', '0'),
  ]);
}

async function useSupplied(log) {
  const env = {};
  for (const name of ['TEST_LDAP_URL', 'TEST_LDAP_BIND_DN', 'TEST_LDAP_BIND_PASSWORD', 'TEST_LDAP_BASE_DN']) {
    if (!process.env[name]) throw new SambaSetupError(`TEST_LDAP_URL is set but ${name} is not: set all TEST_LDAP_* variables (docs/testing.md)`);
    env[name] = process.env[name];
  }
  for (const name of ['TEST_LDAP_CA_FILE', 'TEST_LDAP_SERVERNAME']) if (process.env[name]) env[name] = process.env[name];
  const tlsOptions = {};
  if (env.TEST_LDAP_CA_FILE) tlsOptions.ca = fs.readFileSync(env.TEST_LDAP_CA_FILE);
  if (env.TEST_LDAP_SERVERNAME) tlsOptions.servername = env.TEST_LDAP_SERVERNAME;
  const client = new Client({ url: env.TEST_LDAP_URL, connectTimeout: 5000, timeout: 10000, tlsOptions });
  try {
    await client.bind(env.TEST_LDAP_BIND_DN, env.TEST_LDAP_BIND_PASSWORD);
  } catch (error) {
    throw new SambaSetupError(`cannot bind to TEST_LDAP_URL=${env.TEST_LDAP_URL} as ${env.TEST_LDAP_BIND_DN}: ${error.message}`);
  } finally {
    await client.unbind().catch(() => {});
  }
  log(`using TEST_LDAP_URL ${env.TEST_LDAP_URL}`);
  return { env, host: null, cleanup: async () => {} };
}
