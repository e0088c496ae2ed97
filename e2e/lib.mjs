// Shared pieces of the end-to-end scripts: their folders and browser,
// checks, waiting for `wails dev`, the browser page, the TikTok stand-in,
// versitygw and the AWS Clean Rooms stand-in, screenshots, the axe-core accessibility audit, and stopping process groups.
import { execFileSync, spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import readline from 'node:readline'
import { fileURLToPath } from 'node:url'

// The script's setup() and createChecks(): shot() and audit() use them.
let current = null
let currentChecks = null

// The settings every script starts the app with: US numbers as digits,
// files up to 50 MB, as many workers as cores.
const BASE_SETTINGS = { default_region: 'US', phone_format: 'digits', max_file_mb: 50, workers: 0 }

// tiktokSettings points Settings > TikTok at advertiser (the stand-in's
// base URL comes from TIKTOK_API_BASE_URL).
export const tiktokSettings = (advertiser) => ({ environment: 'production', base_url: '', advertiser_id: advertiser })

// setup gives a script the repository root, playwright-core's chromium, the
// screenshot folder under $E2E_ARTIFACTS, a fresh work folder, the app's
// dev-server URL and the sample input. With settings, it also writes them
// over BASE_SETTINGS as the app's settings.json in work/config (cfgDir),
// output going to work/out (outDir).
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
    // $E2E_DEV_PORT moves `wails dev` off its fixed 34115 (startWailsDev
    // passes it on), for a run beside another when the shared lock is stuck.
    url: `http://localhost:${devPort()}`,
    sample: path.join(root, 'e2e/testdata/customers-sample.csv'),
  }
  if (settings) {
    env.outDir = path.join(work, 'out')
    env.cfgDir = path.join(work, 'config')
    fs.mkdirSync(env.cfgDir, { recursive: true })
    fs.writeFileSync(path.join(env.cfgDir, 'settings.json'), JSON.stringify({ ...BASE_SETTINGS, ...settings, output_dir: env.outDir }))
  }
  current = { ...env, name }
  return env
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

// devPort is the `wails dev` server's port: 34115 unless $E2E_DEV_PORT says.
const devPort = () => process.env.E2E_DEV_PORT || '34115'

// createChecks records named checks and prints each as it is made.
export function createChecks(results = { checks: [] }) {
  const tally = { passed: 0, failed: 0, results }
  tally.check = (name, ok, detail = '') => {
    results.checks.push({ name, ok, detail })
    if (ok) tally.passed++
    else tally.failed++
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ` — ${detail}` : ''}`)
  }
  currentChecks = tally
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
      '-m', '-nosyncgomod', '-s', '-nogorebuild', '-skipbindings', '-tags', 'webkit2_41', '-viteservertimeout', '120', '-loglevel', 'Warning',
      '-devserver', `localhost:${devPort()}`],
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
  // A context of its own: the axe audit (audit) needs the page to have one.
  const context = await browser.newContext({ viewport: { width: 1280, height: 820 }, colorScheme })
  const page = await context.newPage()
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

// shot saves a screenshot of the page in the screenshots folder once spinners
// and transitions have settled; el is scrolled into view first, and with
// docs the picture is also copied to docs/screenshots, when E2E_DOCS=1 (make
// screenshots) asks for it: make test never rewrites committed files.
export async function shot(page, name, { el, docs } = {}) {
  await page
    .waitForFunction(() => !document.querySelector('.n-spin-body, .n-data-table-base-table-body .n-base-loading'), null, { timeout: 15_000 })
    .catch(() => {})
  if (el) await el.scrollIntoViewIfNeeded()
  await sleep(400)
  await page.screenshot({ path: path.join(current.shots, name) })
  if (docs && process.env.E2E_DOCS === '1') fs.copyFileSync(path.join(current.shots, name), path.join(current.root, 'docs/screenshots', name))
}

// The WCAG 2.0/2.1 A and AA rules: what the issue's audit asks for.
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']
const IMPACTS = ['critical', 'serious', 'moderate', 'minor']

// audit runs axe-core on the page as it is now (screen names it) and records
// a check that fails on any serious or critical violation, printing each
// rule's id, impact and the selectors of the elements at fault. Every
// screen's counts by impact go into <artifacts>/axe-summary.json, one entry
// per script and screen (entries of other scripts are kept).
export async function audit(page, screen) {
  const req = createRequire(path.join(current.root, 'frontend/package.json'))
  const { AxeBuilder } = req('@axe-core/playwright')
  // Let transitions finish: axe reads colours, and a fading element fails contrast.
  await page
    .waitForFunction(() => !document.querySelector('.n-spin-body, .n-data-table-base-table-body .n-base-loading'), null, { timeout: 15_000 })
    .catch(() => {})
  // A toast ("… saved.") fades out on its own clock, so axe could read it
  // half-transparent at any moment: audit the screen once it has gone, and
  // once no finite animation or transition is still running.
  await page.waitForFunction(() => !document.querySelector('.n-message'), null, { timeout: 15_000 }).catch(() => {})
  await page
    .waitForFunction(
      () => document.getAnimations().every((a) => a.playState !== 'running' || a.effect?.getComputedTiming().endTime === Infinity),
      null,
      { timeout: 5_000 },
    )
    .catch(() => {})
  await sleep(400)
  const { violations } = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze()
  const byImpact = Object.fromEntries(IMPACTS.map((i) => [i, 0]))
  const nodesByImpact = Object.fromEntries(IMPACTS.map((i) => [i, 0]))
  for (const v of violations) {
    byImpact[v.impact] = (byImpact[v.impact] ?? 0) + 1
    nodesByImpact[v.impact] = (nodesByImpact[v.impact] ?? 0) + v.nodes.length
  }
  const entry = {
    script: current.name,
    screen,
    violations: byImpact,
    elements: nodesByImpact,
    rules: violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      // Each element, with the colours axe measured when contrast is at fault.
      nodes: v.nodes.map((n) => {
        const c = n.any.find((a) => a.data?.contrastRatio)?.data
        return c ? { target: n.target.join(' '), fg: c.fgColor, bg: c.bgColor, ratio: c.contrastRatio, need: c.expectedContrastRatio } : { target: n.target.join(' ') }
      }),
    })),
  }
  const file = path.join(current.artifacts, 'axe-summary.json')
  let all = []
  try {
    all = JSON.parse(fs.readFileSync(file, 'utf8'))
  } catch {
    /* first entry */
  }
  all = all.filter((e) => !(e.script === entry.script && e.screen === entry.screen))
  all.push(entry)
  fs.writeFileSync(file, JSON.stringify(all, null, 2))
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
  const detail = bad
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 6).map((n) => n.target.join(' ')).join(', ')}${v.nodes.length > 6 ? ` and ${v.nodes.length - 6} more` : ''}`)
    .join('; ')
  const others = violations.length - bad.length
  currentChecks.check(`axe: ${screen} has no serious or critical violations`, bad.length === 0, detail || (others ? `${others} moderate/minor` : ''))
  return entry
}

// startStandin builds and starts the TikTok stand-in (e2e/standin) on a free
// loopback port, each call answered after delay; its base URL is the first
// line it prints. inspect() returns what it holds (audiences, hashes received).
export async function startStandin({ root, artifacts, work }, logName, delay) {
  const bin = path.join(work, 'standin')
  execFileSync(process.env.GO || 'go', ['build', '-o', bin, './e2e/standin'], { cwd: root, stdio: 'inherit' })
  const log = fs.openSync(path.join(artifacts, `${logName}.log`), 'w')
  const proc = spawn(bin, ['-delay', delay], { stdio: ['ignore', 'pipe', log], detached: true })
  try {
    const base = await new Promise((resolve, reject) => {
      const rl = readline.createInterface({ input: proc.stdout })
      rl.once('line', (l) => resolve(l.trim()))
      proc.once('exit', (c) => reject(new Error(`the stand-in exited with ${c}`)))
      setTimeout(() => reject(new Error('the stand-in printed no base URL in 20 s')), 20_000)
    })
    const inspect = async () => (await fetch(base.replace(/open_api\/$/, 'e2e/audiences'))).json()
    return { proc, base, inspect }
  } catch (e) {
    await stopGroups([proc])
    throw e
  }
}

// startMetaStandin builds and starts the Meta stand-in for e2e runs
// (e2e/metastandin) on a free loopback port with args; its base URL (as
// META_API_BASE_URL takes it) is the first line it prints. e2e(path, init)
// calls its /e2e/ endpoints (audiences, received, accept-terms, stats).
export async function startMetaStandin({ root, artifacts, work }, logName, args = []) {
  const bin = path.join(work, 'metastandin')
  execFileSync(process.env.GO || 'go', ['build', '-o', bin, './e2e/metastandin'], { cwd: root, stdio: 'inherit' })
  const log = fs.openSync(path.join(artifacts, `${logName}.log`), 'w')
  const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', log], detached: true })
  try {
    const base = await new Promise((resolve, reject) => {
      const rl = readline.createInterface({ input: proc.stdout })
      rl.once('line', (l) => resolve(l.trim()))
      proc.once('exit', (c) => reject(new Error(`the Meta stand-in exited with ${c}`)))
      setTimeout(() => reject(new Error('the Meta stand-in printed no base URL in 20 s')), 20_000)
    })
    const e2e = async (p, init) => (await fetch(base.replace(/v\d+\.\d+\/$/, 'e2e/') + p, init)).json()
    return { proc, base, e2e }
  } catch (e) {
    await stopGroups([proc])
    throw e
  }
}

// freePort is a free loopback port.
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
    s.on('error', reject)
  })
}

// waitPort waits until proc (logged as name) listens on a loopback port.
export async function waitPort(port, proc, name) {
  for (let i = 0; i < 200; i++) {
    if (proc.exitCode !== null) throw new Error(`${name} exited with ${proc.exitCode}; see ${current?.artifacts}/${name}.log`)
    const ok = await new Promise((r) => {
      const c = net.connect(port, '127.0.0.1', () => {
        c.end()
        r(true)
      })
      c.on('error', () => r(false))
    })
    if (ok) return
    await sleep(100)
  }
  throw new Error(`${name} did not listen on ${port}`)
}

// The AWS credentials versitygw and the Clean Rooms stand-in accept.
export const AWS_ACCESS = 'E2EACCESSKEY'
export const AWS_SECRET = 'e2e-secret-key'

// startAWS starts versitygw over s3Root (a folder of bucket/key files) and
// the AWS Clean Rooms stand-in (cmd/cleanrooms-standin, $CLEANROOMS_STANDIN)
// serving catalog. appEnv is what `wails dev` needs to reach both through
// the AWS chain (credential_source aws-chain in the settings); cleanRooms()
// restarts the stand-in on the same port with another catalog (and flags),
// as the app keeps its endpoint; stop() ends both.
export async function startAWS({ root, artifacts, work }, name, s3Root, catalog, region = 'us-east-1') {
  const versitygw = process.env.VERSITYGW || path.join(root, 'build/bin/versitygw')
  const standinBin = process.env.CLEANROOMS_STANDIN || path.join(root, 'build/bin/cleanrooms-standin')
  const procs = []
  const aws = { procs, stop: () => stopGroups(procs.slice().reverse()) }
  try {
    const s3Port = await freePort()
    const s3Log = fs.openSync(path.join(artifacts, `versitygw-${name}.log`), 'w')
    const s3 = spawn(versitygw, ['--port', `127.0.0.1:${s3Port}`, '--access', AWS_ACCESS, '--secret', AWS_SECRET, '--region', region, '--quiet', 'posix', s3Root],
      { detached: true, stdio: ['ignore', s3Log, s3Log] })
    procs.push(s3)
    await waitPort(s3Port, s3, `versitygw-${name}`)
    const crPort = await freePort()
    let cr = null
    aws.cleanRooms = async (cat, logName = `cleanrooms-standin-${name}`, extra = []) => {
      if (cr) {
        await stopGroups([cr])
        procs.splice(procs.indexOf(cr), 1)
      }
      const file = path.join(work, `${logName}.json`)
      fs.writeFileSync(file, JSON.stringify(cat))
      const log = fs.openSync(path.join(artifacts, `${logName}.log`), 'w')
      cr = spawn(standinBin, ['--addr', `127.0.0.1:${crPort}`, '--catalog', file, '--access-key', AWS_ACCESS, ...extra], { detached: true, stdio: ['ignore', 'pipe', log] })
      procs.push(cr)
      await new Promise((resolve, reject) => {
        readline.createInterface({ input: cr.stdout }).once('line', resolve)
        cr.once('exit', (c) => reject(new Error(`the Clean Rooms stand-in exited with ${c}; see ${artifacts}/${logName}.log`)))
        setTimeout(() => reject(new Error('the Clean Rooms stand-in printed no URL in 20 s')), 20_000)
      })
    }
    await aws.cleanRooms(catalog)
    aws.appEnv = {
      AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${s3Port}`,
      AWS_ENDPOINT_URL_CLEANROOMS: `http://127.0.0.1:${crPort}`,
      AWS_ACCESS_KEY_ID: AWS_ACCESS,
      AWS_SECRET_ACCESS_KEY: AWS_SECRET,
      AWS_SESSION_TOKEN: '',
      AWS_PROFILE: '',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: path.join(work, 'no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(work, 'no-aws-credentials'),
    }
    return aws
  } catch (e) {
    await aws.stop()
    throw e
  }
}

// META_TOKEN is the token the Meta stand-in accepts by default.
export const META_TOKEN = 'standin-meta-token'

// TIKTOK_TOKEN is the access token the stand-in accepts.
export const TIKTOK_TOKEN = 'standin-token'

// startWithTikTok starts the TikTok stand-in (startStandin) and `wails dev`
// pointed at it (TIKTOK_API_BASE_URL, TIKTOK_ACCESS_TOKEN), opens the app in
// chromium and waits for Step 1. beforeApp({ base, inspect }) runs once the
// stand-in is up and before the app starts (audiences.mjs makes audiences
// there, so they are ready by the time the app lists them); appEnv adds to
// the app's environment (startAWS's, the Meta stand-in's); procs are more
// process groups to end with stop(). stop() closes the browser and ends
// both; what was started is ended too when a step fails.
export async function startWithTikTok(env, name, { delay = '1s', beforeApp, appEnv = {}, procs = [] } = {}) {
  const started = { procs: [...procs] }
  started.stop = async () => {
    if (started.browser) await started.browser.close().catch(() => {})
    await stopGroups(started.procs)
  }
  try {
    const standin = await startStandin(env, `standin-${name}`, delay)
    started.procs.push(standin.proc)
    Object.assign(started, { base: standin.base, inspect: standin.inspect })
    if (beforeApp) await beforeApp(started)
    const { proc, logPath } = startWailsDev(env, `wails-dev-${name}`, { ...appEnv, TIKTOK_API_BASE_URL: standin.base, TIKTOK_ACCESS_TOKEN: TIKTOK_TOKEN })
    started.procs.unshift(proc)
    await waitForServer(proc, env.url, 420_000, logPath)
    const { browser, page, consoleErrors } = await openPage(env.chromium)
    Object.assign(started, { browser, page, consoleErrors })
    await page.goto(env.url)
    await page.getByText('Choose a customer file').waitFor({ timeout: 60_000 })
    return started
  } catch (e) {
    await started.stop()
    throw e
  }
}
