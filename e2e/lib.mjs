// Shared pieces of the end-to-end scripts: their folders and browser,
// checks, waiting for `wails dev`, the browser page, and stopping process
// groups.
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

// setup gives a script the repository root, playwright-core's chromium, the
// screenshot folder under $E2E_ARTIFACTS, a fresh work folder, the app's
// dev-server URL and the sample input. With settings, it also writes them as
// the app's settings.json in work/config (cfgDir), output going to
// work/out (outDir).
export function setup(name, settings) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
  const { chromium } = createRequire(import.meta.url)(path.join(root, 'frontend/node_modules/playwright-core'))
  const artifacts = path.resolve(root, process.env.E2E_ARTIFACTS || 'build/bin/e2e-artifacts')
  const shots = path.join(artifacts, 'screenshots')
  fs.mkdirSync(shots, { recursive: true })
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `aud-e2e-${name}-`))
  const env = {
    root,
    chromium,
    artifacts,
    shots,
    work,
    url: 'http://localhost:34115',
    sample: path.join(root, 'e2e/testdata/customers-sample.csv'),
  }
  if (settings) {
    env.outDir = path.join(work, 'out')
    env.cfgDir = path.join(work, 'config')
    fs.mkdirSync(env.cfgDir, { recursive: true })
    fs.writeFileSync(path.join(env.cfgDir, 'settings.json'), JSON.stringify({ ...settings, output_dir: env.outDir }))
  }
  return env
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

// createChecks records named checks and prints each as it is made.
export function createChecks(results = { checks: [] }) {
  const tally = { passed: 0, failed: 0, results }
  tally.check = (name, ok, detail = '') => {
    results.checks.push({ name, ok, detail })
    if (ok) tally.passed++
    else tally.failed++
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ` — ${detail}` : ''}`)
  }
  return tally
}

// startWailsDev starts `wails dev` under Xvfb in its own process group (so
// stopGroups ends the whole tree), output in <artifacts>/<logName>.log, the
// app's settings in cfgDir and its data under work. The app gets no D-Bus
// session: it never reaches the developer's keychain, no bus or keyring
// daemon is started (and left running) for it, and sessions are memory-only.
// extraEnv adds to or overrides the environment.
export function startWailsDev({ root, artifacts, work, cfgDir }, logName, extraEnv = {}) {
  const wailsBin = process.env.WAILS || path.join(process.env.HOME || '/root', 'go/bin/wails')
  const logPath = path.join(artifacts, `${logName}.log`)
  const log = fs.openSync(logPath, 'w')
  const proc = spawn(
    'xvfb-run',
    ['-a', '-s', '-screen 0 1400x950x24', wailsBin, 'dev',
      '-m', '-nosyncgomod', '-s', '-nogorebuild', '-skipbindings', '-tags', 'webkit2_41', '-viteservertimeout', '120', '-loglevel', 'Warning'],
    {
      cwd: root,
      detached: true,
      stdio: ['ignore', log, log],
      env: {
        ...process.env,
        PATH: `${path.dirname(wailsBin)}:${process.env.PATH}`,
        AUDIENCE_UPLOADER_CONFIG_DIR: cfgDir,
        AUDIENCE_UPLOADER_DATA_DIR: path.join(work, 'data'),
        DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent',
        WEBKIT_DISABLE_COMPOSITING_MODE: '1',
        WEBKIT_DISABLE_DMABUF_RENDERER: '1',
        ...extraEnv,
      },
    },
  )
  return { proc, logPath }
}

// waitForServer waits until `wails dev` (proc) serves the app at url.
export async function waitForServer(proc, url, timeoutMs, logPath) {
  const t0 = Date.now()
  while (Date.now() - t0 < timeoutMs) {
    if (proc.exitCode !== null) throw new Error(`wails dev exited with ${proc.exitCode}; see ${logPath}`)
    try {
      const r = await fetch(url)
      if (r.ok && (await r.text()).includes('id="app"')) return
    } catch {
      /* not up yet */
    }
    await sleep(1000)
  }
  throw new Error(`wails dev did not serve ${url} within ${timeoutMs / 1000} s`)
}

// openPage launches Debian's chromium and a page that collects the app's own
// console errors (wails dev's injected /wails/ipc.js throws in its overlay;
// those do not count).
export async function openPage(chromium, colorScheme = 'light') {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  })
  const page = await browser.newPage({ viewport: { width: 1280, height: 820 }, colorScheme })
  const consoleErrors = []
  page.on('console', (m) => m.type() === 'error' && !String(m.location()?.url).includes('/wails/') && consoleErrors.push(m.text()))
  page.on('pageerror', (e) => !String(e?.stack).includes('/wails/ipc.js') && consoleErrors.push(String(e?.stack || e)))
  return { browser, page, consoleErrors }
}

// stopGroups ends each process's whole group (they were spawned detached):
// TERM first, KILL for whatever is left.
export async function stopGroups(procs) {
  for (const sig of ['SIGTERM', 'SIGKILL']) {
    for (const p of procs) {
      try {
        process.kill(-p.pid, sig)
      } catch {
        /* already gone */
      }
    }
    if (sig === 'SIGTERM') await sleep(1500)
  }
}
