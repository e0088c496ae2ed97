// End-to-end: the wizard transforms e2e/testdata/customers-sample.csv and
// uploads it to the TikTok stand-in (e2e/standin, on a free loopback port),
// driven in Debian's chromium against `wails dev` under Xvfb like
// e2e/wizard.mjs. The app is pointed at the stand-in with
// TIKTOK_API_BASE_URL and TIKTOK_ACCESS_TOKEN; the advertiser id is typed in
// Settings → TikTok. The stand-in must receive exactly the hashes of the
// output files, once each, into one audience. Screenshots go to
// $E2E_ARTIFACTS/screenshots (9-upload-*.png).
import fs from 'node:fs'
import path from 'node:path'
import { TIKTOK_TOKEN as TOKEN, audit, createChecks, setup, shot as shotOf, startWithTikTok } from './lib.mjs'

const env = setup('upload', {})
const ADVERTISER = '7000000000000000001'
const AUDIENCE = 'E2E upload buyers'

const results = { checks: [] }
const checks = createChecks(results)
const check = checks.check
const { artifacts, work, outDir, cfgDir, sample } = env

// The stand-in answers each call after 3 s, so upload progress can be seen.
let app
try {
  app = await startWithTikTok(env, 'upload', { delay: '3s' })
  const { page, consoleErrors, base, inspect } = app
  const shot = (name, el) => shotOf(page, name, { el })

  // Settings → TikTok: the advertiser id typed and saved; the token comes from the environment.
  await page.getByText('Settings', { exact: true }).first().click()
  await page.getByTestId('tiktok-settings').waitFor()
  await page.getByTestId('tiktok-advertiser').locator('input').fill(ADVERTISER)
  await page.getByTestId('tiktok-save').click()
  await page.getByText('TikTok settings saved.').waitFor({ timeout: 10_000 })
  const status = await page.getByTestId('tiktok-token-status').innerText()
  check('Settings → TikTok says the token comes from TIKTOK_ACCESS_TOKEN', status.includes('TIKTOK_ACCESS_TOKEN'), status)
  const saved = JSON.parse(fs.readFileSync(path.join(cfgDir, 'settings.json'), 'utf8'))
  check('the advertiser id is saved in settings, the token is not', saved.tiktok?.advertiser_id === ADVERTISER && !JSON.stringify(saved).includes(TOKEN))
  await page.getByTestId('tiktok-test').click()
  await page.getByTestId('tiktok-test-ok').waitFor({ timeout: 30_000 })
  const testText = await page.getByTestId('tiktok-test-ok').innerText()
  check('Test connection reaches the stand-in and lists its audiences', testText.includes(base) && testText.includes('0 audiences'), testText)
  await shot('9-upload-settings.png', page.getByTestId('tiktok-settings'))
  await audit(page, 'Settings → TikTok (connection tested)')

  // The wizard: transform the sample.
  await page.getByText('New run', { exact: true }).first().click()
  await page.getByTestId('path-input').locator('input').fill(sample)
  await page.getByTestId('path-open').click()
  await page.getByTestId('file-card').waitFor({ timeout: 30_000 })
  await page.getByTestId('next').click()
  await page.getByTestId('audience').locator('input').fill(AUDIENCE)
  await page.getByTestId('layout-combined').click()
  await page.getByTestId('next').click()
  await page.getByTestId('schema-table').waitFor()
  await page.getByTestId('next').click()
  await page.getByTestId('preview-table').waitFor({ timeout: 30_000 })
  await page.getByTestId('start-run').click()
  await page.getByTestId('run-success').waitFor({ timeout: 120_000 })
  const runDirs = fs.readdirSync(outDir)
  const runDir = path.join(outDir, runDirs[0])
  const manifest = JSON.parse(fs.readFileSync(path.join(runDir, 'manifest.json'), 'utf8'))
  const expected = new Map()
  for (const f of manifest.files) {
    const lines = fs.readFileSync(path.join(runDir, f.path), 'utf8').trimEnd().split('\n')
    for (const line of lines.slice(f.calculate_type === 'MULTIPLE_TYPES' ? 1 : 0)) {
      for (const v of line.split(',')) if (v) expected.set(v, (expected.get(v) ?? 0) + 1)
    }
  }
  check('the transform wrote hashes to upload', expected.size > 0, `${expected.size} distinct hashes`)

  // Step 5 goes on: Upload.
  const card = page.getByTestId('upload-card')
  await card.waitFor()
  await page.getByTestId('upload-start').waitFor({ timeout: 10_000 })
  const cardText = await card.innerText()
  check('step 5 offers the upload into a new audience', cardText.includes(`Create the audience “${AUDIENCE}”`), cardText.replace(/\s+/g, ' '))
  await shot('9-upload-ready.png', card)
  await audit(page, 'Step 5 Upload panel (ready)')
  await page.getByTestId('upload-start').click()
  await page.getByTestId('upload-success').waitFor({ timeout: 120_000 })
  const fileRows = await page.locator('[data-testid^="upload-file-"]').count()
  check('upload progress lists every file', fileRows === manifest.files.length, `${fileRows} of ${manifest.files.length}`)
  const audienceId = (await page.getByTestId('upload-audience-id').innerText()).trim()
  await shot('9-upload-done.png', page.getByTestId('upload-success'))
  check('the audience status card starts as processing', await page.getByTestId('audience-processing').isVisible().catch(() => false))
  await audit(page, 'Step 5 Upload panel (done, audience processing)')
  await page.getByTestId('audience-ready').waitFor({ timeout: 60_000 })
  const statusText = await page.getByTestId(`audience-status-${audienceId}`).innerText()
  check('the status card turns ready with matched users and a match rate', /Matched users\s+\d/.test(statusText) && /\d+\.\d%/.test(statusText), statusText.replace(/\s+/g, ' '))
  await shot('9-upload-status.png', page.getByTestId(`audience-status-${audienceId}`))
  await audit(page, 'Step 5 Upload panel (audience ready)')

  // What the stand-in received: exactly the output's hashes, once each, into one audience.
  const got = await inspect()
  check('the stand-in holds exactly one audience', got.audiences.length === 1, `${got.audiences.length} audiences`)
  const a = got.audiences[0] ?? { Delivered: {} }
  check('it is the audience the app shows, with the wizard name', a.ID === audienceId && a.Name === AUDIENCE, `${a.ID} ${a.Name}`)
  const delivered = Object.entries(a.Delivered ?? {})
  const exact = delivered.length === expected.size && delivered.every(([h, n]) => expected.get(h) === n)
  check('the audience received exactly the output hashes, each as often as written', exact, `${delivered.length} delivered, ${expected.size} expected`)
  const received = Object.entries(got.received)
  check('every file upload carried each hash once', received.length === expected.size && received.every(([h, n]) => expected.get(h) === n))
  const raw = fs.readFileSync(sample, 'utf8')
  check('no raw identifier reached the stand-in', !delivered.some(([h]) => raw.includes(h)) && !received.some(([h]) => !/^[0-9a-f]{64}$/.test(h)))

  // History: the job with its audience id and status.
  await page.getByText('History', { exact: true }).first().click()
  await page.getByTestId('upload-history-table').waitFor({ timeout: 10_000 })
  const hist = await page.getByTestId('upload-history-table').innerText()
  check('History lists the upload with its audience id and status', hist.includes(audienceId) && hist.includes('Uploaded') && hist.includes('Ready'), hist.replace(/\s+/g, ' '))
  await shot('9-upload-history.png', page.getByTestId('upload-history'))
  await audit(page, 'History (with uploads)')

  // Step 2 of the next run lists the audience, to append to, remove from or replace.
  await page.getByText('New run', { exact: true }).first().click()
  await page.getByTestId('new-run').click()
  await page.getByTestId('path-input').locator('input').fill(sample)
  await page.getByTestId('path-open').click()
  await page.getByTestId('file-card').waitFor({ timeout: 30_000 })
  await page.getByTestId('next').click()
  await page.getByTestId('audiences-table').waitFor({ timeout: 30_000 })
  const listed = await page.getByTestId('audiences-table').innerText()
  check('step 2 lists the existing audience with its type and size', listed.includes(AUDIENCE) && listed.includes('Multiple types'), listed.replace(/\s+/g, ' '))
  check('a new audience is the default', (await page.getByTestId('audience-new').locator('input').isChecked()) && !(await page.getByTestId('audience-action').isVisible().catch(() => false)))
  await page.getByTestId('audience-existing').click()
  await page.getByTestId('audience-action').waitFor()
  check('choosing the existing audience offers append, remove and replace', (await page.getByTestId('audience-action').innerText()).includes('Append'))
  await shot('9-upload-step2-audiences.png', page.getByTestId('audience-picker'))
  await audit(page, 'Step 2 Define dataset (existing audiences)')

  check('no errors in the page console', consoleErrors.length === 0, consoleErrors.slice(0, 3).join(' | '))
} catch (e) {
  check('upload run completed', false, String(e?.stack || e))
} finally {
  await app?.stop()
  fs.writeFileSync(path.join(artifacts, 'e2e-upload-results.json'), JSON.stringify(results, null, 2))
  fs.rmSync(work, { recursive: true, force: true })
}
console.log(`e2e upload: ${checks.passed} passed, ${checks.failed} failed`)
process.exit(checks.failed ? 1 : 0)
