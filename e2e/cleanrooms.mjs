// End-to-end: Step 1's AWS Clean Rooms tab in Debian's chromium
// (playwright-core) against `wails dev` under Xvfb. The AWS Clean Rooms
// stand-in (cmd/cleanrooms-standin) serves two memberships (one cannot
// receive results) and four protected queries (running, finished with
// Parquet parts, failed, finished with an empty result); versitygw holds the
// result parts; credentials are the AWS chain's (versitygw's keys in the
// environment), with no data bucket, so only the Clean Rooms tab shows.
// The script walks collaboration → queries → the finished one → discovery,
// Confirm preview and run to the output hashes (the fixture's), checks the
// sentences for a running, failed and empty query, the history's
// collaboration and query, then restarts the stand-in to check a denied
// action and "no membership can receive results". Screenshots go to
// $E2E_ARTIFACTS/screenshots (13-cleanrooms-*.png), and 13-cleanrooms.png
// also to docs/screenshots with E2E_DOCS=1 (make screenshots).
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { createChecks, openPage, setup, sleep, startAWS, startWailsDev, stopGroups, waitForServer } from './lib.mjs'

const region = 'us-east-1'
const { root, chromium, artifacts, shots, work, cfgDir, outDir, url } = setup('cleanrooms', {
  aws: { credential_source: 'aws-chain', region, bucket: '', prefix: '' },
})

// The catalog: ids as AWS gives them (36-character UUIDs).
const mRecv = '7c1e4b2a-9d3f-4a6b-8e21-5f0c3d9a1b77'
const mNoRecv = '5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a'
const qRunning = 'e5f6a7b8-c9d0-4e1f-8a2b-3c4d5e6f7a8b'
const qDone = '0b6f8e21-3c4d-4f5a-9b7e-1a2c3d4e5f60'
const qFailed = '1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9'
const qEmpty = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d'
const failure = 'Aggregation groups must have at least 100 distinct members.'
const out = (format) => ({ bucket: 'cr-results', key_prefix: 'retail-media', format })
const receiver = {
  id: mRecv, collaboration_id: 'c0ffee00-1111-4222-8333-444455556666', collaboration_name: 'Retail x Media',
  creator_display_name: 'Retailer', abilities: ['CAN_QUERY', 'CAN_RECEIVE_RESULTS'], created: '2026-10-01T09:00:00Z',
}
const bystander = {
  id: mNoRecv, collaboration_id: 'c0ffee00-7777-4888-9999-aaaabbbbcccc', collaboration_name: 'Measurement',
  creator_display_name: 'Publisher', abilities: ['CAN_QUERY'], created: '2026-10-15T09:00:00Z',
}
const catalog = {
  region, account_id: '111122223333',
  memberships: [receiver, bystander],
  queries: [
    { id: qRunning, membership_id: mRecv, status: 'STARTED', created: new Date(Date.now() - 120_000).toISOString(), s3: out('PARQUET') },
    { id: qDone, membership_id: mRecv, status: 'SUCCESS', created: '2026-11-30T08:00:00Z', duration_ms: 184000, s3: out('PARQUET'),
      location: `s3://cr-results/retail-media/${qDone}/` },
    { id: qFailed, membership_id: mRecv, status: 'FAILED', created: '2026-11-29T08:00:00Z', duration_ms: 12000, s3: out('CSV'),
      error_code: 'ANALYSIS_RULE_VIOLATION', error_message: failure },
    { id: qEmpty, membership_id: mRecv, status: 'SUCCESS', created: '2026-11-23T08:00:00Z', duration_ms: 9000, s3: out('CSV'),
      location: `s3://cr-results/retail-media/${qEmpty}/` },
  ],
}

const emailHash = 'd6117306485ed0e50afab3ac871e98f81699151f30281527d63ff5f233656c69' // janedoe@gmail.com (spec)
const sha = (v) => crypto.createHash('sha256').update(v).digest('hex')
// The DuckDB-written Parquet fixtures (backend/records/testdata/gen): row i's
// email and phone hash, as backend/cli/formats_test.go's fixtureHash has
// them ('' where the fixture leaves the cell null).
function fixtureHash(column, i) {
  if (column === 'email') {
    if (i < 3) return [emailHash, '831f6494ad6be4fcb3a724c3d5fef22d3ceffa3c62ef3a7984e45a0ea177f982', 'f93ca5969ffbf9d8c9dff54992b7ec422d948252cc907365a0a05aa799ab8db9'][i]
    return i % 10 === 7 ? '' : sha(`person${i}.name@example.com`)
  }
  if (i === 0) return '8dcdcb191dd89fbef91b063d9f8f75ccca8d2c9059b47386c3f46d5f88bb5068' // (613)-444-4444
  return i % 10 === 3 ? '' : sha(String(16135550000 + i))
}

const results = { checks: [] }
const checks = createChecks(results)
const check = checks.check

const procs = []
let aws = null

// shot waits for spinners of loading lists to settle (the running query's
// own spinner stays), then saves the page; docs also copies it to
// docs/screenshots when E2E_DOCS=1 (make screenshots), never in make test.
async function shot(page, name, docs = false) {
  await page.waitForFunction(() => !document.querySelector('.n-spin-container .n-spin-body'), null, { timeout: 15_000 }).catch(() => {})
  await sleep(400)
  await page.screenshot({ path: path.join(shots, name) })
  if (docs && process.env.E2E_DOCS === '1') fs.copyFileSync(path.join(shots, name), path.join(root, 'docs/screenshots', name))
}

let browser
let consoleErrors = []
try {
  // versitygw: the finished query's Parquet parts (rows 0-4499 and 0-249 of
  // the fixture) as Spark writes them, with _SUCCESS and a .crc file; the
  // empty query's location holds nothing.
  const s3Root = path.join(work, 's3')
  const q = path.join(s3Root, 'cr-results/retail-media', qDone)
  fs.mkdirSync(q, { recursive: true })
  const fixtures = path.join(root, 'backend/records/testdata/binary')
  fs.copyFileSync(path.join(fixtures, 'list_snappy.parquet'), path.join(q, 'part-00000-5e1f0c7a-c000.snappy.parquet'))
  fs.copyFileSync(path.join(fixtures, 'list_gzip.parquet'), path.join(q, 'part-00001-5e1f0c7a-c000.gz.parquet'))
  fs.writeFileSync(path.join(q, '_SUCCESS'), '')
  fs.writeFileSync(path.join(q, '.part-00000-5e1f0c7a-c000.snappy.parquet.crc'), 'crc')
  // The app keeps the Clean Rooms endpoint: aws.cleanRooms restarts the
  // stand-in with other answers at the same address.
  aws = await startAWS({ root, artifacts, work }, 'cleanrooms', s3Root, catalog, region)

  const { proc: dev, logPath: devLog } = startWailsDev({ root, artifacts, work, cfgDir }, 'wails-dev-cleanrooms', aws.appEnv)
  procs.push(dev)
  await waitForServer(dev, url, 420_000, devLog)
  const opened = await openPage(chromium)
  browser = opened.browser
  const { page } = opened
  consoleErrors = opened.consoleErrors
  await page.goto(url)
  await page.getByText('Choose a customer file').waitFor({ timeout: 60_000 })

  // The tab: AWS chain credentials and no bucket, so Clean Rooms but no S3 tab.
  await page.getByTestId('cleanrooms-tab').waitFor({ timeout: 30_000 })
  const tabs = await page.getByTestId('source-tabs').innerText()
  check('Step 1 has the AWS Clean Rooms tab beside This computer (no bucket, so no S3 tab)', tabs.includes('AWS Clean Rooms') && !tabs.includes('Amazon S3'), tabs.replace(/\s+/g, ' '))
  await page.getByTestId('cleanrooms-tab').click()
  await page.getByTestId('cr-membership').first().waitFor({ timeout: 30_000 })
  const ms = page.getByTestId('cr-membership')
  check('both collaborations are listed', (await ms.count()) === 2)
  check('the collaboration that cannot receive results is disabled, with why',
    (await ms.filter({ hasText: 'Measurement' }).isDisabled()) && (await page.getByTestId('cr-membership-why').innerText()).includes('cannot receive results'))
  await shot(page, '13-cleanrooms-collaborations.png')

  // Its protected queries, newest first.
  await ms.filter({ hasText: 'Retail x Media' }).click()
  await page.getByTestId('cr-query').first().waitFor({ timeout: 30_000 })
  const statuses = await page.getByTestId('cr-query').evaluateAll((rows) => rows.map((r) => r.dataset.status))
  check('the queries are listed newest first with their status', statuses.join(',') === 'STARTED,SUCCESS,FAILED,SUCCESS', statuses.join(','))
  const running = page.getByTestId('cr-query').nth(0)
  check('the running query shows a spinner and "Running"', (await running.getByTestId('cr-query-spinner').count()) === 1 && (await running.innerText()).includes('Running'))
  check('a note says a query is still running and to press Refresh', (await page.getByTestId('cr-running-note').innerText()).includes('still running: press Refresh'))
  const doneRow = (await page.getByTestId('cr-query').nth(1).innerText()).replace(/\s+/g, ' ')
  check('the finished query shows its duration and format', doneRow.includes('3 min 4 s') && doneRow.includes('PARQUET'), doneRow)
  check('the failed query shows AWS\'s error', (await page.getByTestId('cr-query-error').innerText()).includes(failure))

  const pick = async (id) => {
    await page.getByTestId('cr-query-pick').filter({ hasText: id }).click()
  }
  const alert = async () => {
    await page.getByTestId('cr-error').waitFor({ timeout: 30_000 })
    return (await page.getByTestId('cr-error').innerText()).replace(/\s+/g, ' ')
  }
  await pick(qRunning)
  let said = await alert()
  check('picking the running query says it is still running', said.includes(`Protected query ${qRunning} is still running`) && said.includes('try again when it has finished'), said)
  await shot(page, '13-cleanrooms-running.png')
  await pick(qFailed)
  await page.waitForFunction((t) => document.querySelector('[data-testid="cr-error"]')?.textContent.includes(t), 'failed', { timeout: 30_000 })
  said = await alert()
  check('picking the failed query gives AWS\'s error', said.includes(`Protected query ${qFailed} failed`) && said.includes(failure), said)
  await pick(qEmpty)
  await page.waitForFunction((t) => document.querySelector('[data-testid="cr-error"]')?.textContent.includes(t), 'empty', { timeout: 30_000 })
  said = await alert()
  check('picking the query whose result holds nothing says it is empty', said.includes(`The result of protected query ${qEmpty}`) && said.includes('is empty'), said)

  // The finished one: the usual discovery on its Parquet parts.
  await pick(qDone)
  await page.getByTestId('file-parts').waitFor({ timeout: 60_000 })
  const card = (await page.getByTestId('file-card').innerText()).replace(/\s+/g, ' ')
  check('the finished query opens as cleanrooms://MEMBERSHIP/QUERY with 2 Parquet parts (not _SUCCESS or .crc)',
    card.includes(`cleanrooms://${mRecv}/${qDone}`) && /2 parts, \d/.test(card) && card.includes('PARQUET') && !card.includes('_SUCCESS') && !card.includes('.crc'), card)
  check('the parts\' exact row count (4,750)', /Rows\s*:?\s*4,750/.test(card), card)
  check('no error is left in the tab', (await page.getByTestId('cr-error').count()) === 0)
  await shot(page, '13-cleanrooms.png', true)

  // Confirm preview and run.
  await page.getByTestId('next').click()
  await page.getByTestId('audience').locator('input').fill('Retail x Media lift')
  await page.getByTestId('next').click()
  await page.getByTestId('schema-table').waitFor()
  // Only email and phone: the fixture has more identifier columns than a combined file takes.
  const marked = await page.locator('[data-testid^="pii-"][aria-checked="true"]').evaluateAll((els) => els.map((e) => e.dataset.testid))
  for (const id of marked) if (id !== 'pii-email' && id !== 'pii-phone') await page.getByTestId(id).click()
  for (const col of ['email', 'phone']) {
    if ((await page.getByTestId(`pii-${col}`).getAttribute('aria-checked')) !== 'true') await page.getByTestId(`pii-${col}`).click()
  }
  await page.getByTestId('next').click()
  await page.getByTestId('preview-table').waitFor({ timeout: 60_000 })
  check('the Confirm preview of the Clean Rooms result shows the spec hash of janedoe@gmail.com', (await page.getByTestId('preview-table').innerText()).includes(emailHash))
  await shot(page, '13-cleanrooms-confirm.png')
  await page.getByTestId('start-run').click()
  await page.getByTestId('run-success').waitFor({ timeout: 180_000 })
  const runDirs = fs.readdirSync(outDir).filter((d) => d.startsWith('Retail-x-Media-lift-'))
  const runDir = path.join(outDir, runDirs[0] ?? 'none')
  const manifest = JSON.parse(fs.readFileSync(path.join(runDir, 'manifest.json'), 'utf8'))
  check('the run read every row of both parts (4,500 + 250)', manifest.counters.rows_read === 4750, `rows_read=${manifest.counters.rows_read}`)
  const found = { Email_SHA256: new Set(), Phone_SHA256: new Set() }
  for (const f of manifest.files) {
    const lines = fs.readFileSync(path.join(runDir, f.path), 'utf8').trimEnd().split('\n')
    const header = lines[0].split(',')
    for (const line of lines.slice(1)) line.split(',').forEach((v, i) => v && found[header[i]]?.add(v))
  }
  for (const [col, got] of [['email', found.Email_SHA256], ['phone', found.Phone_SHA256]]) {
    const want = new Set(Array.from({ length: 4500 }, (_, i) => fixtureHash(col, i)).filter(Boolean))
    const missing = [...want].filter((h) => !got.has(h))
    const extra = [...got].filter((h) => !want.has(h))
    check(`the output holds exactly the fixture's ${col} hashes (${want.size})`, missing.length === 0 && extra.length === 0, `missing ${missing.length}, extra ${extra.length}`)
  }
  await shot(page, '13-cleanrooms-result.png')

  // The history names the collaboration and the query.
  await page.getByText('History', { exact: true }).first().click()
  await page.getByTestId('history-origin').first().waitFor({ timeout: 30_000 })
  const origin = await page.getByTestId('history-origin').first().innerText()
  check('the history names the collaboration and query', origin === `AWS Clean Rooms · Retail x Media · query ${qDone}`, origin)
  await shot(page, '13-cleanrooms-history.png')

  // A role without cleanrooms:ListProtectedQueries: the action is named.
  await aws.cleanRooms(catalog, 'cleanrooms-standin-denied', ['--deny', 'cleanrooms:ListProtectedQueries'])
  await page.getByText('New run', { exact: true }).first().click()
  await page.getByTestId('new-run').click()
  await page.getByTestId('cleanrooms-tab').click()
  await page.getByTestId('cr-membership').first().waitFor({ timeout: 30_000 })
  await page.getByTestId('cr-membership').filter({ hasText: 'Retail x Media' }).click()
  said = await alert()
  check('a denied action is named (cleanrooms:ListProtectedQueries)', said.includes('AWS denied cleanrooms:ListProtectedQueries') && said.includes('CleanRoomsAccess'), said)
  await shot(page, '13-cleanrooms-denied.png')

  // Only a membership that cannot receive results: the tab says so.
  await aws.cleanRooms({ ...catalog, memberships: [bystander], queries: [] }, 'cleanrooms-standin-noreceiver')
  await page.getByTestId('cr-crumbs').getByText('Collaborations').click()
  await page.getByTestId('cr-refresh').click()
  await page.getByTestId('cr-note').waitFor({ timeout: 30_000 })
  const note = await page.getByTestId('cr-note').innerText()
  check('with no membership able to receive results, the tab says so and what to ask for',
    note.includes('None of your 1 AWS Clean Rooms memberships can receive results') && note.includes('CAN_RECEIVE_RESULTS'), note)
  await shot(page, '13-cleanrooms-no-receiver.png')
  check('no errors in the page console', consoleErrors.length === 0, consoleErrors.slice(0, 3).join(' | '))
} catch (e) {
  check('the Clean Rooms tab run completed', false, `${e?.stack || e}; console: ${consoleErrors.slice(0, 3).join(' | ')}`)
  for (const pg of browser?.contexts().flatMap((c) => c.pages()) ?? []) {
    await pg.screenshot({ path: path.join(shots, '13-cleanrooms-failed.png') }).catch(() => {})
  }
} finally {
  if (browser) await browser.close()
  await stopGroups(procs.reverse())
  await aws?.stop()
  fs.writeFileSync(path.join(artifacts, 'e2e-cleanrooms-results.json'), JSON.stringify(results, null, 2))
  fs.rmSync(work, { recursive: true, force: true })
}
console.log(`e2e cleanrooms: ${checks.passed} passed, ${checks.failed} failed`)
process.exit(checks.failed ? 1 : 0)
