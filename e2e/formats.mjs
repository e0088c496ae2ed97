// End-to-end (issue 10): the wizard reads a folder of CSV part files as one
// list and an Excel workbook's second sheet (picked in Step 1), and says "no
// header row found" with a switch, in Debian's chromium (playwright-core)
// against `wails dev` under Xvfb. Each run's output hashes are checked
// against sha256 of the normalized identifiers and the spec's vectors.
// Screenshots: $E2E_ARTIFACTS/screenshots/12-*.png.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { audit, createChecks, openPage, setup, shot as shotOf, startWailsDev, stopGroups, waitForServer } from './lib.mjs'

const { root, chromium, artifacts, work, outDir, cfgDir, url } = setup('formats', {})
const sha = (s) => crypto.createHash('sha256').update(s).digest('hex')
const janedoe = 'd6117306485ed0e50afab3ac871e98f81699151f30281527d63ff5f233656c69' // spec: janedoe@gmail.com
const workbook = path.join(root, 'backend/records/testdata/binary/list.xlsx')

const results = { checks: [] }
const checks = createChecks(results)
const check = checks.check

// A Spark-style folder: three gzip CSV parts, a _SUCCESS marker and a .crc file.
// Part i holds user<i*4+j>@example.com and +1 613 555 0<i*4+j>; part 0 also janedoe.
function writeParts() {
  const dir = path.join(work, 'q-123')
  fs.mkdirSync(dir)
  const emails = []
  const phones = []
  for (let p = 0; p < 3; p++) {
    let csv = 'email,phone\n'
    for (let j = 0; j < 4; j++) {
      const n = p * 4 + j
      const e = n === 0 ? 'JaneDoe@Gmail.com' : `user${n}@example.com`
      csv += `${e},+1 613 555 ${String(n).padStart(4, '0')}\n`
      emails.push(n === 0 ? janedoe : sha(e))
      phones.push(sha(`1613555${String(n).padStart(4, '0')}`))
    }
    fs.writeFileSync(path.join(dir, `part-0000${p}-7d1e0b2c-c000.csv.gz`), zlib.gzipSync(csv))
  }
  fs.writeFileSync(path.join(dir, '_SUCCESS'), '')
  fs.writeFileSync(path.join(dir, '.part-00000-7d1e0b2c-c000.csv.gz.crc'), 'crc')
  return { dir, emails, phones }
}

// Every hash in the run's output files, by column (Email_SHA256, Phone_SHA256, …).
function outputHashes(runDir, manifest) {
  const found = {}
  for (const f of manifest.files) {
    const lines = fs.readFileSync(path.join(runDir, f.path), 'utf8').trimEnd().split('\n')
    const header = lines[0].split(',')
    for (const line of lines.slice(1)) {
      line.split(',').forEach((v, i) => {
        if (v) (found[header[i]] ??= new Set()).add(v)
      })
    }
  }
  return found
}

// The one output folder whose name starts with the audience's.
function runOutput(audience) {
  const dirs = fs.readdirSync(outDir).filter((d) => d.startsWith(`${audience}-`))
  if (dirs.length !== 1) throw new Error(`expected one output folder for ${audience}, found ${dirs.join(',') || 'none'}`)
  const runDir = path.join(outDir, dirs[0])
  return { runDir, manifest: JSON.parse(fs.readFileSync(path.join(runDir, 'manifest.json'), 'utf8')) }
}

const parts = writeParts()
const { proc: dev, logPath: devLog } = startWailsDev({ root, artifacts, work, cfgDir }, 'wails-dev-formats')

let browser
try {
  await waitForServer(dev, url, 600_000, devLog)
  const opened = await openPage(chromium)
  browser = opened.browser
  const { page, consoleErrors } = opened
  await page.goto(url)
  await page.getByText('Choose a customer file').waitFor({ timeout: 60_000 })
  const shot = (name) => shotOf(page, name)
  const open = async (p) => {
    await page.getByTestId('path-input').locator('input').fill(p)
    await page.getByTestId('path-open').click()
  }
  const cardText = async () => (await page.getByTestId('file-card').innerText()).replace(/\s+/g, ' ')
  // Steps 2 to 5 with the suggested columns; returns the Define columns text.
  const runThrough = async (audience, onColumns = async () => {}) => {
    await page.getByTestId('next').click()
    await page.getByTestId('audience').locator('input').fill(audience)
    await page.getByTestId('next').click()
    await page.getByTestId('schema-table').waitFor()
    await onColumns()
    await page.getByTestId('next').click()
    await page.getByTestId('preview-table').waitFor({ timeout: 60_000 })
    const previewText = await page.getByTestId('preview-table').innerText()
    const summary = await page.getByTestId('summary').innerText()
    await page.getByTestId('start-run').click()
    await page.getByTestId('run-success').waitFor({ timeout: 180_000 })
    return { previewText, summary }
  }
  const newRun = async () => {
    await page.getByTestId('new-run').click()
    await page.getByTestId('path-input').waitFor({ timeout: 15_000 })
  }

  check('Step 1 offers Choose folder…', await page.getByTestId('browse-folder').isVisible())
  const lead = await page.locator('.lead').first().innerText()
  check('Step 1 names the new formats', ['Parquet', 'Excel', 'zstd', 'bzip2', 'folder'].every((w) => lead.includes(w)), lead)

  // 1. A folder of parts (the folder dialog is native; the path field makes the same call).
  await open(parts.dir)
  await page.getByTestId('file-parts').waitFor({ timeout: 60_000 })
  const partsText = await page.getByTestId('file-parts').innerText()
  check('the folder card says "3 parts" and their total size', /^3 parts, \d+(\.\d)? (B|KB)$/.test(partsText.trim()), partsText)
  const names = await page.getByTestId('part-names').innerText()
  check('the card lists the part names, not _SUCCESS or .crc', names.includes('part-00000-7d1e0b2c-c000.csv.gz') && !names.includes('_SUCCESS') && !names.includes('.crc'), names)
  check('the folder card shows the CSV columns', (await cardText()).includes('CSV'), await cardText())
  await shot('12-parts-folder.png')
  await audit(page, 'Step 1 Select file: folder of gzip CSV parts')
  const partsRun = await runThrough('Folder of parts')
  check('the preview from the parts shows the spec hash of janedoe@gmail.com', partsRun.previewText.includes(janedoe))
  check('the Confirm summary counts the parts', partsRun.summary.includes('3 parts'), partsRun.summary.replace(/\s+/g, ' '))
  {
    const { runDir, manifest } = runOutput('Folder-of-parts')
    check('the run read every row of the 3 parts', manifest.counters.rows_read === 12, `rows_read=${manifest.counters.rows_read}`)
    const found = outputHashes(runDir, manifest)
    const missingE = parts.emails.filter((h) => !found.Email_SHA256?.has(h))
    const missingP = parts.phones.filter((h) => !found.Phone_SHA256?.has(h))
    check('the output holds every e-mail hash of every part', missingE.length === 0, `missing ${missingE.length}`)
    check('the output holds every phone hash of every part', missingP.length === 0, `missing ${missingP.length}`)
  }
  await shot('12-parts-result.png')

  // 2. An Excel workbook: the sheet picker reads the second sheet (headerless phones).
  await newRun()
  await open(workbook)
  await page.getByTestId('sheet-select').waitFor({ timeout: 60_000 })
  check('the workbook opens on its first sheet', (await page.getByTestId('sheet-select').innerText()).includes('Customers'))
  check('the card says XLSX', (await cardText()).includes('XLSX'), await cardText())
  await page.getByTestId('sheet-select').click()
  await page.locator('.n-base-select-option', { hasText: 'Phones only' }).click()
  await page.waitForFunction(() => document.querySelector('[data-testid="sheet-select"]')?.textContent?.includes('Phones only'), null, { timeout: 60_000 })
  await page.waitForFunction(() => !document.querySelector('.n-spin-body'), null, { timeout: 60_000 })
  const sheetCard = await cardText()
  check('the picked sheet is read: one column, 40 rows sampled', /Columns\s*:?\s*1\b/.test(sheetCard) && /Rows sampled\s*:?\s*40\b/.test(sheetCard), sheetCard)
  await shot('12-xlsx-sheet.png')
  await audit(page, 'Step 1 Select file: Excel sheet picker')

  const xlsxRun = await runThrough('Excel phones', async () => {
    // 3. The sheet has no header row: the notice says so, and the switch works both ways.
    const note = await page.getByTestId('no-header').innerText()
    check('Define columns says "No header row found" and why', note.includes('No header row found') && /first row holds/i.test(note), note.replace(/\s+/g, ' '))
    await shot('12-no-header.png')
    await audit(page, 'Step 3 Define columns: no header row found')
    await page.getByTestId('header-yes').click()
    await page.getByTestId('no-header').waitFor({ state: 'detached', timeout: 60_000 })
    check('"Yes" reads the first row as the column name', (await page.getByTestId('header-state').innerText()).includes('column names') && (await page.getByTestId('pii-column_1').count()) === 0)
    await page.getByTestId('header-auto').click()
    await page.getByTestId('no-header').waitFor({ timeout: 60_000 })
    check('"Detect" finds no header row again', (await page.getByTestId('pii-column_1').count()) === 1)
    if ((await page.getByTestId('pii-column_1').getAttribute('aria-checked')) !== 'true') await page.getByTestId('pii-column_1').click()
    const typeText = await page.getByTestId('type-column_1').innerText()
    if (!typeText.includes('Phone')) {
      await page.getByTestId('type-column_1').click()
      await page.locator('.n-base-select-option', { hasText: 'Phone' }).first().click()
    }
  })
  check('the preview from the sheet shows the hash of its first phone', xlsxRun.previewText.includes(sha('16135550000')))
  check('the Confirm summary names the sheet', xlsxRun.summary.includes('sheet “Phones only”'), xlsxRun.summary.replace(/\s+/g, ' '))
  {
    const { runDir, manifest } = runOutput('Excel-phones')
    check('the run read the 40 rows of the picked sheet', manifest.counters.rows_read === 40, `rows_read=${manifest.counters.rows_read}`)
    const found = outputHashes(runDir, manifest)
    const want = Array.from({ length: 40 }, (_, i) => sha(`1613555${String(i).padStart(4, '0')}`))
    const missing = want.filter((h) => !found.Phone_SHA256?.has(h))
    check('the output holds the hash of every phone on the sheet', missing.length === 0 && found.Phone_SHA256?.size === 40, `missing ${missing.length}, ${found.Phone_SHA256?.size ?? 0} hashes`)
  }

  // 4. A folder with nothing to read: a sentence that says what to do.
  await newRun()
  const emptyDir = path.join(work, 'empty-export')
  fs.mkdirSync(emptyDir)
  fs.writeFileSync(path.join(emptyDir, '_SUCCESS'), '')
  await open(emptyDir)
  await page.getByTestId('wizard-error').waitFor({ timeout: 60_000 })
  const err = await page.getByTestId('wizard-error').innerText()
  check('a folder with no part files says so and what to do', /no data files/i.test(err) && /Choose/.test(err), err)
  await shot('12-empty-folder.png')
  await audit(page, 'Step 1 Select file: error (nothing to read)')
  check('no errors in the page console', consoleErrors.length === 0, consoleErrors.slice(0, 3).join(' | '))
} catch (e) {
  check('formats run completed', false, String(e?.stack || e))
} finally {
  if (browser) await browser.close()
  await stopGroups([dev])
  fs.writeFileSync(path.join(artifacts, 'e2e-formats-results.json'), JSON.stringify(results, null, 2))
  fs.rmSync(work, { recursive: true, force: true })
}
console.log(`e2e formats: ${checks.passed} passed, ${checks.failed} failed`)
process.exit(checks.failed ? 1 : 0)
