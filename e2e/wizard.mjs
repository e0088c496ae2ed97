// End-to-end: the whole offline wizard in Debian's chromium (playwright-core)
// against `wails dev` under Xvfb, on e2e/testdata/customers-sample.csv. The
// output files' hashes are checked against the spec's test vectors; each
// step is saved as a screenshot in $E2E_ARTIFACTS. A second, larger run
// measures the page's event-loop lag and the progress event rate.
import fs from 'node:fs'
import path from 'node:path'
import { audit, createChecks, openPage, setup, shot as shotOf, sleep, startWailsDev, stopGroups, waitForServer } from './lib.mjs'

const { root, chromium, artifacts, work, outDir, cfgDir, sample, url } = setup('wizard', {})

const vectors = {
  Email_SHA256: [
    'd6117306485ed0e50afab3ac871e98f81699151f30281527d63ff5f233656c69',
    '831f6494ad6be4fcb3a724c3d5fef22d3ceffa3c62ef3a7984e45a0ea177f982',
    'f93ca5969ffbf9d8c9dff54992b7ec422d948252cc907365a0a05aa799ab8db9',
  ],
  Phone_SHA256: [
    '65b7e6dcf6f4310f8d7cbfbd78289a753062fb054d6664fb9aaac5df66a422d4',
    '8dcdcb191dd89fbef91b063d9f8f75ccca8d2c9059b47386c3f46d5f88bb5068',
    'dc008fda46e2e64002cf2f82a4906236282d431c4f75e5b60bfe79fc48546383',
  ],
  MAID_SHA256: [
    'b1788682345e37f504a685d799b0855ba23cf0df76b80695ce6a240203606ecd',
    '83dc3f5f32b9472613b0f038d36f22585a609d018af6f6067f50da318bf354bd',
  ],
}
const emptyHash = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'

const results = { checks: [], measurements: {} }
const checks = createChecks(results)
const check = checks.check



// A larger generated file to measure responsiveness while a run goes.
function writeBigFile(rows) {
  const p = path.join(work, 'big-customers.csv')
  const fd = fs.openSync(p, 'w')
  let buf = 'customer_id,email,phone\n'
  for (let i = 0; i < rows; i++) {
    buf += `C-${i},user${i}@example.com,+1 613 555 ${String(i % 10000).padStart(4, '0')}\n`
    if (buf.length > 1 << 20) {
      fs.writeSync(fd, buf)
      buf = ''
    }
  }
  fs.writeSync(fd, buf)
  fs.closeSync(fd)
  return p
}

const { proc: dev, logPath: devLog } = startWailsDev({ root, artifacts, work, cfgDir }, 'wails-dev')

let browser
try {
  await waitForServer(dev, url, 420_000, devLog)
  const opened = await openPage(chromium)
  browser = opened.browser
  const { page, consoleErrors } = opened
  await page.goto(url)
  await page.getByText('Choose a customer file').waitFor({ timeout: 60_000 })
  const shot = (name) => shotOf(page, name)
  await audit(page, 'Step 1 Select file (empty)')

  // 1. Select file (the native dialog and drop cannot be driven from a browser; the path field is the same call).
  await page.getByTestId('path-input').locator('input').fill(sample)
  await page.getByTestId('path-open').click()
  await page.getByTestId('file-card').waitFor({ timeout: 30_000 })
  const card = await page.getByTestId('file-card').innerText()
  check('file card shows the file, format and columns', card.includes('customers-sample.csv') && card.includes('CSV') && card.includes('7'), card.replace(/\s+/g, ' '))
  check('recent files list the file', (await page.getByTestId('recent-item').count()) === 1)
  await shot('1-select-file.png')
  await audit(page, 'Step 1 Select file (file picked)')

  // 2. Define dataset (reached with the keyboard): the audience name defaults from the file; type a real one.
  await page.keyboard.press('Alt+ArrowRight')
  await page.getByTestId('audience').waitFor({ timeout: 5_000 })
  check('Alt+→ moves to the next step', await page.getByTestId('audience').isVisible())
  const audience = page.getByTestId('audience').locator('input')
  check('audience name defaults from the file name', (await audience.inputValue()) === 'customers sample')
  await audience.fill('')
  check('Next is disabled without an audience name', await page.getByTestId('next').isDisabled())
  await audience.fill('Spring 2026 buyers')
  await page.getByTestId('layout-combined').click()
  await shot('2-define-dataset.png')
  await audit(page, 'Step 2 Define dataset')

  // 3. Define columns: suggestions pre-fill the PII types; samples are masked.
  await page.getByTestId('next').click()
  await page.getByTestId('schema-table').waitFor()
  const emailSamples = await page.getByTestId('samples-email').innerText()
  check('samples are masked until revealed', emailSamples.includes('•••') && !emailSamples.includes('@'), emailSamples)
  for (const col of ['email', 'phone', 'idfa', 'gaid']) {
    const on = await page.getByTestId(`pii-${col}`).getAttribute('aria-checked')
    check(`column ${col} is pre-marked PII`, on === 'true')
  }
  check('non-identifier column is NON-PII', (await page.getByTestId('pii-first_name').getAttribute('aria-checked')) === 'false')
  await shot('3-define-columns.png')
  await audit(page, 'Step 3 Define columns')
  await page.getByRole('button', { name: 'Reveal samples of email' }).click()
  check('reveal shows the samples', (await page.getByTestId('samples-email').innerText()).includes('@'))
  await page.getByRole('button', { name: 'Hide samples of email' }).click()

  // 4. Confirm: live preview of the first 20 rows with the spec's hashes.
  await page.getByTestId('next').click()
  await page.getByTestId('preview-table').waitFor({ timeout: 30_000 })
  const previewText = await page.getByTestId('preview-table').innerText()
  check('preview shows the spec hash of janedoe@gmail.com', previewText.includes(vectors.Email_SHA256[0]))
  check('preview shows the spec hash of +374 93 828 222', previewText.includes(vectors.Phone_SHA256[0]))
  check('preview masks originals', !previewText.includes('janedoe@gmail.com'))
  check('preview gives rejection reasons', (await page.getByTestId('reject').count()) > 0)
  check('warns under 1,000 valid rows', await page.getByTestId('low-rows-warning').isVisible())
  await shot('4-confirm.png')
  await audit(page, 'Step 4 Confirm')
  await page.getByTestId('reveal-originals').click()
  const revealed = await page.getByTestId('preview-table').innerText()
  check('revealed preview shows original, normalized and rejection reason', revealed.includes('Jane.Doe+shopping@Gmail.com') && revealed.includes('jane.doe@gmail.com') && revealed.includes('555-CALL-NOW'))
  await page.getByText('555-CALL-NOW').first().evaluate((el) => el.scrollIntoView({ block: 'center' }))
  await shot('4-confirm-revealed.png')
  await audit(page, 'Step 4 Confirm (originals revealed)')
  await page.getByTestId('reveal-originals').click()

  // 5. Run and monitor.
  await page.getByTestId('start-run').click()
  await page.getByTestId('run-success').waitFor({ timeout: 120_000 })
  await page.getByTestId('files-table').waitFor()
  await shot('5-run-result.png')
  await audit(page, 'Step 5 Run result')
  const runDirs = fs.readdirSync(outDir)
  check('one output folder named after the audience', runDirs.length === 1 && runDirs[0].startsWith('Spring-2026-buyers-'), runDirs.join(','))
  const runDir = path.join(outDir, runDirs[0])
  const manifest = JSON.parse(fs.readFileSync(path.join(runDir, 'manifest.json'), 'utf8'))
  check('manifest counts 38 rows read', manifest.counters.rows_read === 38, `rows_read=${manifest.counters.rows_read}`)
  const found = { Email_SHA256: new Set(), Phone_SHA256: new Set(), MAID_SHA256: new Set() }
  let sawEmpty = false
  for (const f of manifest.files) {
    const lines = fs.readFileSync(path.join(runDir, f.path), 'utf8').trimEnd().split('\n')
    const header = lines[0].split(',')
    for (const line of lines.slice(1)) {
      line.split(',').forEach((v, i) => {
        if (v === emptyHash) sawEmpty = true
        if (v && found[header[i]]) found[header[i]].add(v)
      })
    }
  }
  for (const [col, hs] of Object.entries(vectors)) {
    for (const h of hs) check(`output ${col} holds ${h.slice(0, 12)}…`, found[col].has(h))
  }
  check("the empty string's hash is not in the output", !sawEmpty)
  const uiFiles = await page.getByTestId('files-table').innerText()
  check('the result lists the output files with sizes', manifest.files.every((f) => uiFiles.includes(f.path)) && /\d+(\.\d)? (B|KB)/.test(uiFiles))

  // Export report: the save dialog is native, so write it through the same Go call.
  const jobs = await page.evaluate(() => window.go.main.App.History(1))
  const reportPath = path.join(work, 'report.json')
  await page.evaluate(([id, p]) => window.go.main.App.WriteReport(id, p), [jobs[0].id, reportPath])
  const report = fs.readFileSync(reportPath, 'utf8')
  // Look for every raw identifier of the sample, as written and as normalized
  // digits, rather than short fragments that a hash or timestamp can contain.
  const sampleRows = fs.readFileSync(sample, 'utf8').trim().split('\n').slice(1).map((line) => line.split(','))
  const rawValues = sampleRows.flatMap((f) => f.slice(2, 6)).map((v) => v.trim().toLowerCase()).filter((v) => v.length >= 6)
  const phoneDigits = sampleRows.map((f) => f[3].replace(/\D/g, '')).filter((v) => v.length >= 8)
  const lowerReport = report.toLowerCase()
  const leaked = [...rawValues, ...phoneDigits].filter((v) => lowerReport.includes(v))
  check('report has the counters and no PII', report.includes('"rows_read": 38') && leaked.length === 0, leaked.length ? `leaked ${leaked.length} raw values` : '')

  // History and Settings views.
  await page.getByText('History', { exact: true }).first().click()
  await page.getByTestId('history-table').waitFor()
  await page.getByText('customers-sample.csv').first().waitFor()
  const hist = await page.getByTestId('history-table').innerText()
  check('history lists the run with its input, mapping and status', hist.includes('customers-sample.csv') && hist.includes('succeeded') && /email\s+(as\s+)?Email/.test(hist), hist.replace(/\s+/g, ' '))
  await page.locator('.n-data-table-expand-trigger').first().click()
  const detail = await page.getByTestId('history-detail').innerText()
  check('history details count values per type', /Email\s+3[0-9]/.test(detail) && detail.includes('Phone'), detail.replace(/\s+/g, ' '))
  await shot('6-history.png')
  await audit(page, 'History (run details open)')
  await page.getByTestId('history-table').getByRole('button', { name: /Remove/ }).first().click()
  await page.locator('.n-dialog').waitFor()
  await audit(page, 'Dialog: remove a run from the history?')
  await page.locator('.n-dialog').getByRole('button', { name: 'Keep' }).click()
  await page.getByText('Settings', { exact: true }).first().click()
  await page.getByTestId('settings-save').waitFor()
  await shot('7-settings.png')
  await audit(page, 'Settings')

  // About: the footer's version opens it; build stamps and the licences of what is bundled.
  await page.getByTestId('about-open').click()
  const about = page.getByTestId('about-dialog')
  await about.getByTestId('about-go-modules').waitFor({ timeout: 15_000 })
  const aboutText = await about.innerText()
  check('About names the version, Go and Wails', /Version/.test(aboutText) && /go1\.\d+/.test(aboutText) && /v2\.\d+\.\d+/.test(aboutText), aboutText.slice(0, 300))
  check('About lists bundled npm packages and Go modules with licences',
    aboutText.includes('naive-ui') && aboutText.includes('github.com/wailsapp/wails/v2') && /\bMIT\b/.test(aboutText))
  await shot('14-about.png')
  await audit(page, 'Dialog: About Audience Uploader')
  await page.keyboard.press('Escape')
  await about.waitFor({ state: 'hidden', timeout: 5_000 })
  check('Esc closes About', !(await about.isVisible()))

  // Responsiveness: a larger run while the page counts progress events and timer lag.
  const bigRows = Number(process.env.E2E_BIG_ROWS || 1500000)
  const big = writeBigFile(bigRows)
  await page.getByText('New run', { exact: true }).first().click()
  await page.getByTestId('new-run').click()
  await page.getByTestId('path-input').locator('input').fill(big)
  await page.getByTestId('path-open').click()
  await page.getByTestId('file-card').waitFor({ timeout: 30_000 })
  await page.getByTestId('next').click()
  await page.getByTestId('audience').locator('input').fill('Load test')
  await page.getByTestId('next').click()
  await page.getByTestId('next').click()
  await page.getByTestId('preview-table').waitFor({ timeout: 30_000 })
  await page.evaluate(() => {
    window.__progressTimes = []
    window.runtime.EventsOn('run:progress', () => window.__progressTimes.push(performance.now()))
    window.__eventLoopLag.reset()
  })
  const t0 = Date.now()
  await page.getByTestId('start-run').click()
  await page.getByTestId('progress-card').waitFor({ timeout: 30_000 }).catch(() => {})
  await sleep(1500)
  if (await page.getByTestId('progress-card').isVisible()) await shot('5-run-progress.png')
  await page.getByTestId('run-success').waitFor({ timeout: 600_000 })
  const runMs = Date.now() - t0
  const m = await page.evaluate(() => {
    const t = window.__progressTimes
    let maxRate = 0
    for (let i = 0; i < t.length; i++) {
      let n = 0
      for (let j = i; j < t.length && t[j] - t[i] < 1000; j++) n++
      maxRate = Math.max(maxRate, n)
    }
    const lag = window.__eventLoopLag
    // While the transform runs (first to last progress event) and over the whole run incl. rendering the result.
    return {
      events: t.length,
      maxEventsPerSecond: maxRate,
      duringRun: lag.summary(t[0] ?? 0, t[t.length - 1] ?? Infinity),
      wholeRun: lag.summary(),
    }
  })
  results.measurements = { bigRows, runMs, ...m }
  const f = (x) => `p95 ${x.p95Ms.toFixed(0)} ms, max ${x.maxMs.toFixed(0)} ms, mean ${x.meanMs.toFixed(1)} ms (${x.samples} samples)`
  console.log(`measure: ${bigRows} rows in ${runMs} ms; ${m.events} progress events, at most ${m.maxEventsPerSecond} in any second`)
  console.log(`measure: event-loop lag while transforming: ${f(m.duringRun)}; whole run incl. result page: ${f(m.wholeRun)}`)
  check('progress events arrive at most 10 a second', m.maxEventsPerSecond <= 11, `max ${m.maxEventsPerSecond}/s`)
  check('progress events arrived during the run', m.events > 0)
  // The theme follows the OS: switch the page to dark and look again.
  await page.emulateMedia({ colorScheme: 'dark' })
  await page.getByTestId('files-table').scrollIntoViewIfNeeded()
  await shot('8-result-dark.png')
  await audit(page, 'Step 5 Run result (dark theme)')
  check('dark theme follows the OS setting', await page.evaluate(() => {
    const bg = getComputedStyle(document.querySelector('.n-layout')).backgroundColor
    const [r, g, b] = bg.match(/\d+/g).map(Number)
    return r + g + b < 150
  }))

  // The progress screen and the cancel dialog are audited on a run of their
  // own: axe holds the page's thread, which would bunch the events measured above.
  await page.emulateMedia({ colorScheme: 'light' })
  await page.getByTestId('new-run').click()
  await page.getByTestId('path-input').locator('input').fill(big)
  await page.getByTestId('path-open').click()
  await page.getByTestId('file-card').waitFor({ timeout: 30_000 })
  await page.getByTestId('next').click()
  await page.getByTestId('audience').locator('input').fill('Cancelled run')
  await page.getByTestId('next').click()
  await page.getByTestId('next').click()
  await page.getByTestId('preview-table').waitFor({ timeout: 30_000 })
  await page.getByTestId('start-run').click()
  await page.getByTestId('progress-card').waitFor({ timeout: 30_000 })
  await page.getByTestId('cancel-run').click()
  await page.locator('.n-dialog').waitFor()
  // One pass sees the progress card under the dialog: the run is short.
  await audit(page, 'Step 5 Run in progress, with the cancel dialog')
  await page.locator('.n-dialog').getByRole('button', { name: 'Cancel run' }).click()
  // The run may have ended while axe looked: the live region says whichever outcome it had.
  // exact: the result's description also begins "The run was cancelled; …".
  const cancelledTitle = page.getByText('The run was cancelled', { exact: true })
  await cancelledTitle.or(page.getByTestId('run-success')).waitFor({ timeout: 60_000 })
  const cancelled = await cancelledTitle.isVisible()
  const said = await page.getByTestId('run-announce').innerText()
  check('the live region says how the run ended', cancelled ? said === 'The transform was cancelled.' : /^Transform finished: [\d,]+ rows written\.$/.test(said), said)
  check('no errors in the page console', consoleErrors.length === 0, consoleErrors.slice(0, 3).join(' | '))
} catch (e) {
  check('wizard run completed', false, String(e?.stack || e))
} finally {
  if (browser) await browser.close()
  await stopGroups([dev])
  fs.writeFileSync(path.join(artifacts, 'e2e-results.json'), JSON.stringify(results, null, 2))
  fs.rmSync(work, { recursive: true, force: true })
}
console.log(`e2e: ${checks.passed} passed, ${checks.failed} failed`)
process.exit(checks.failed ? 1 : 0)
