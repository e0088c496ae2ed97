// Shared pieces of the end-to-end scripts: checks, waiting for `wails dev`,
// the browser page, and stopping process groups.

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
