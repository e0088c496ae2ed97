// End-to-end: Meta in the desktop app (issue 21), in Debian's chromium
// against `wails dev` under Xvfb like e2e/upload.mjs. The app is pointed at
// the TikTok stand-in and the Meta stand-in (e2e/metastandin, started with
// the Custom Audience Terms not accepted) through TIKTOK_*/META_API_BASE_URL
// and META_ACCESS_TOKEN. It goes: Step 2 with Meta not set up (disabled,
// with a sentence) → Settings > Meta (the ad account typed and saved; the
// connection test says where to accept the terms; accepted, it says so) →
// the Audiences view (a Meta audience with platform, size and status in
// words) → Step 2 choosing TikTok and Meta → the transform → both uploads →
// each destination's outcome → History's upload to Meta. The Meta stand-in must hold exactly the rows
// of meta-rows.tsv, each cell accepted once, in one audience. axe audits
// every new screen; screenshots go to $E2E_ARTIFACTS/screenshots (and,
// with E2E_DOCS=1, docs/screenshots: 21-*.png).
import fs from 'node:fs'
import path from 'node:path'
import { META_TOKEN, audit, createChecks, setup, shot as shotOf, startMetaStandin, startWithTikTok, tiktokSettings } from './lib.mjs'

const ADVERTISER = '7000000000000000001'
const ACCOUNT = '100000000000001'
const env = setup('meta', {
  tiktok: tiktokSettings(ADVERTISER),
})
const AUDIENCE = 'E2E both platforms'

const results = { checks: [] }
const checks = createChecks(results)
const check = checks.check
const { artifacts, work, outDir, cfgDir, sample } = env

let app
let meta
try {
  meta = await startMetaStandin(env, 'metastandin-meta', ['-terms-not-accepted'])
  await meta.e2e('add-audience?name=' + encodeURIComponent('Made in Ads Manager'), { method: 'POST' })
  app = await startWithTikTok(env, 'meta', {
    delay: '1s',
    procs: [meta.proc],
    appEnv: { META_API_BASE_URL: meta.base, META_ACCESS_TOKEN: META_TOKEN },
  })
  const { page, consoleErrors } = app
  const shot = (name, el, docs = false) => shotOf(page, name, { el, docs })
  const openSample = async () => {
    await page.getByTestId('path-input').locator('input').fill(sample)
    await page.getByTestId('path-open').click()
    await page.getByTestId('file-card').waitFor({ timeout: 30_000 })
    await page.getByTestId('next').click()
    await page.getByTestId('destinations').waitFor({ timeout: 10_000 })
  }

  // Step 2 before Meta is set up: Meta disabled, a sentence says how.
  await openSample()
  const metaBox = page.getByTestId('dest-meta')
  const disabled = await metaBox.evaluate((el) => (el.closest('.n-checkbox') ?? el).classList.contains('n-checkbox--disabled'))
  check('Step 2 offers Meta disabled while Settings has no Meta account', disabled)
  const missing = await page.getByTestId('dest-meta-missing').innerText()
  check('a sentence says how to set Meta up', missing.includes('Settings > Meta'), missing)
  await audit(page, 'Step 2 destinations (Meta not set up)')

  // Settings > Meta: the ad account, the token from the environment, the terms.
  await page.getByTestId('dest-open-meta-settings').click()
  await page.getByTestId('meta-settings').waitFor()
  await page.getByTestId('meta-account').locator('input').fill(ACCOUNT)
  await page.getByTestId('meta-save').click()
  const accountError = await page.getByTestId('meta-error').innerText({ timeout: 5_000 }).catch(() => '')
  check('an ad account without act_ is refused with how to write it', accountError.includes(`act_${ACCOUNT}`), accountError)
  await page.getByTestId('meta-account').locator('input').fill(`act_${ACCOUNT}`)
  await page.getByTestId('meta-save').click()
  await page.getByText('Meta settings saved.').waitFor({ timeout: 10_000 })
  const status = await page.getByTestId('meta-token-status').innerText()
  check('Settings > Meta says the token comes from META_ACCESS_TOKEN', status.includes('META_ACCESS_TOKEN'), status)
  const saved = JSON.parse(fs.readFileSync(path.join(cfgDir, 'settings.json'), 'utf8'))
  check('the ad account is saved in settings, the token is not', saved.meta?.ad_account === `act_${ACCOUNT}` && !JSON.stringify(saved).includes(META_TOKEN))
  await page.getByTestId('meta-test').click()
  await page.getByTestId('meta-terms').waitFor({ timeout: 30_000 })
  const terms = await page.getByTestId('meta-terms').innerText()
  const termsURL = `https://business.facebook.com/ads/manage/customaudiences/tos/?act=${ACCOUNT}`
  check('the connection test says where to accept the Custom Audience Terms', terms.includes(termsURL) && terms.includes('accept the terms'), terms.replace(/\s+/g, ' '))
  await shot('21-meta-settings-terms.png', page.getByTestId('meta-settings'), true)
  await audit(page, 'Settings → Meta (terms not accepted)')
  await meta.e2e('accept-terms', { method: 'POST' }) // the person accepts them in Business Manager
  await page.getByTestId('meta-test').click()
  await page.getByTestId('meta-test-ok').filter({ hasText: 'are accepted' }).waitFor({ timeout: 30_000 })
  const ok = await page.getByTestId('meta-test-ok').innerText()
  check('once accepted, the test connects and says so', ok.includes(meta.base) && ok.includes('1 audience') && ok.includes('are accepted'), ok)
  check('no terms warning once accepted', !(await page.getByTestId('meta-terms').isVisible().catch(() => false)))
  await shot('21-meta-settings.png', page.getByTestId('meta-settings'), true)
  await audit(page, 'Settings → Meta (connected)')

  // Audiences: the Meta audience beside TikTok's (none yet), in words.
  await page.getByText('Audiences', { exact: true }).first().click()
  await page.getByTestId('audiences-table').waitFor({ timeout: 30_000 })
  const listed = await page.getByTestId('audiences-table').innerText()
  check('Audiences lists the Meta audience with its platform, size and status in words', listed.includes('Made in Ads Manager') && listed.includes('Meta') && listed.includes('fewer than 1,000') && listed.includes('no users uploaded yet'), listed.replace(/\s+/g, ' '))
  await audit(page, 'Audiences (a Meta audience)')

  // Step 2 again: Meta now enabled; choose both.
  await page.getByText('New run', { exact: true }).first().click()
  if (!(await page.getByTestId('destinations').isVisible().catch(() => false))) {
    if (await page.getByTestId('file-card').isVisible().catch(() => false)) await page.getByTestId('next').click()
    else await openSample()
  }
  await page.getByTestId('destinations').waitFor()
  await page.waitForFunction(() => !document.querySelector('[data-testid="dest-meta"]')?.closest('.n-checkbox')?.classList.contains('n-checkbox--disabled'), null, { timeout: 10_000 })
  await page.getByTestId('dest-meta').click()
  await page.getByTestId('dest-meta-note').waitFor()
  check('Step 2 offers Meta once set up, naming the ad account', (await page.getByTestId('destinations').innerText()).includes(`act_${ACCOUNT}`))
  await page.getByTestId('meta-audience-picker').waitFor({ timeout: 10_000 })
  await page.getByTestId('meta-audience-existing').locator('input:not([disabled])').waitFor({ state: 'attached', timeout: 30_000 })
  check('Step 2 offers the ad account’s audiences to update, a new one by default', (await page.getByTestId('meta-audience-new').locator('input').isChecked()) && !(await page.getByTestId('meta-audience-action').isVisible().catch(() => false)))
  await page.getByTestId('audience').locator('input').fill(AUDIENCE)
  await page.getByTestId('layout-combined').click()
  await shot('21-step2-destinations.png', page.getByTestId('destinations'), true)
  await audit(page, 'Step 2 destinations (TikTok and Meta)')
  await page.getByTestId('meta-audience-existing').click()
  await page.getByTestId('meta-audience-action').waitFor()
  const picked = await page.getByTestId('meta-audience-picker').innerText()
  check('choosing an existing Meta audience lists it with its size and status, and add, remove, replace', picked.includes('Made in Ads Manager') && picked.includes('Replace'), picked.replace(/\s+/g, ' '))
  await audit(page, 'Step 2 Meta audience (existing)')
  await page.getByTestId('meta-audience-new').click()

  // The transform for both, then both uploads.
  await page.getByTestId('next').click()
  await page.getByTestId('schema-table').waitFor()
  await page.getByTestId('next').click()
  await page.getByTestId('preview-table').waitFor({ timeout: 30_000 })
  await page.getByTestId('start-run').click()
  await page.getByTestId('run-success').waitFor({ timeout: 120_000 })
  const runDir = path.join(outDir, fs.readdirSync(outDir)[0])
  const manifest = JSON.parse(fs.readFileSync(path.join(runDir, 'manifest.json'), 'utf8'))
  const metaFile = manifest.files.find((f) => f.platform === 'meta')
  check('the run wrote TikTok files and Meta rows in one pass', !!metaFile && manifest.files.some((f) => !f.platform), JSON.stringify(manifest.files.map((f) => f.path)))
  const schema = metaFile?.schema ?? []
  const rows = fs.readFileSync(path.join(runDir, 'meta-rows.tsv'), 'utf8').trimEnd().split('\n').map((l) => l.split('\t'))
  check('the result shows Meta’s rows beside TikTok’s', (await page.getByTestId('stat-meta-written').innerText()).includes(String(rows.length)))
  await page.getByTestId('upload-start').click()
  await page.getByTestId('meta-upload-start').click()
  await page.getByTestId('upload-success').waitFor({ timeout: 120_000 })
  await page.getByTestId('meta-upload-success').waitFor({ timeout: 120_000 })
  const metaID = (await page.getByTestId('meta-upload-audience-id').innerText()).trim()
  const outcome = await page.getByTestId('meta-upload-success').innerText()
  check('the Meta outcome names the rows, the audience, its size and status in words', outcome.includes(`${rows.length} rows`) && outcome.includes('fewer than 1,000') && outcome.includes('too small to be used yet'), outcome.replace(/\s+/g, ' '))
  check('the TikTok outcome is shown too', (await page.getByTestId('upload-success').innerText()).includes('Uploaded to TikTok'))
  await shot('21-result-both.png', page.getByTestId('meta-upload-card'), true)
  await audit(page, 'Step 5 (uploaded to TikTok and Meta)')

  // What Meta received: one audience, every cell of the rows file once.
  const auds = await meta.e2e('audiences?name=' + encodeURIComponent(AUDIENCE))
  check('the Meta stand-in holds exactly one audience of that name, the one shown', auds.length === 1 && auds[0].id === metaID, JSON.stringify(auds.map((a) => a.id)))
  const cells = []
  for (const r of rows) r.forEach((v, i) => v && cells.push({ key: schema[i], value: v }))
  const counts = await meta.e2e('received', { method: 'POST', body: JSON.stringify(cells) })
  check('every cell of meta-rows.tsv was accepted exactly once', counts.length === cells.length && counts.every((n) => n === 1), `${counts.filter((n) => n !== 1).length} of ${cells.length} not once`)
  const stats = await meta.e2e('stats')
  check('no batch went twice into a session, no payload in a URL', stats.RepeatedBatches === 0 && stats.PayloadInQuery === 0, JSON.stringify(stats))
  const raw = fs.readFileSync(sample, 'utf8').toLowerCase()
  const hashed = cells.filter((c) => c.key !== 'MADID')
  check('e-mails and phones reached Meta as SHA-256 only', hashed.length > 0 && hashed.every((c) => /^[0-9a-f]{64}$/.test(c.value) && !raw.includes(c.value)))

  // Audiences now lists the new audience on both platforms.
  await page.getByText('Audiences', { exact: true }).first().click()
  await page.getByTestId('refresh').click()
  await page.getByTestId(`platform-${metaID}`).waitFor({ timeout: 30_000 })
  const after = await page.getByTestId('audiences-table').innerText()
  check('Audiences lists the upload on TikTok and on Meta', (after.match(new RegExp(AUDIENCE, 'g')) ?? []).length === 2 && (await page.getByTestId(`platform-${metaID}`).innerText()) === 'Meta', after.replace(/\s+/g, ' '))
  await shot('21-audiences.png', page.getByTestId('audiences-table'), true)
  await audit(page, 'Audiences (TikTok and Meta)')

  // History: the upload to Meta, with its platform and audience, finished (an
  // interrupted one is resumed there: backend/appupload's TestMetaUploadResumesAfterARestart
  // restarts the service mid-batch; an app restart here would double this run's time).
  await page.getByText('History', { exact: true }).first().click()
  await page.getByTestId('meta-upload-history-table').waitFor({ timeout: 10_000 })
  const metaHist = await page.getByTestId('meta-upload-history-table').innerText()
  check('History lists the upload to Meta with its platform, audience and state', metaHist.includes(metaID) && metaHist.includes(AUDIENCE) && metaHist.includes('Uploaded') && metaHist.includes('Meta'), metaHist.replace(/\s+/g, ' '))
  check('a finished upload to Meta offers no Resume', (await page.locator('[data-testid^="meta-history-resume-"]').count()) === 0)
  await audit(page, 'History (uploads to Meta)')

  check('no errors in the page console', consoleErrors.length === 0, consoleErrors.slice(0, 3).join(' | '))
} catch (e) {
  check('meta run completed', false, String(e?.stack || e))
} finally {
  if (app) await app.stop()
  else if (meta) await (await import('./lib.mjs')).stopGroups([meta.proc])
  fs.writeFileSync(path.join(artifacts, 'e2e-meta-results.json'), JSON.stringify(results, null, 2))
  fs.rmSync(work, { recursive: true, force: true })
}
console.log(`e2e meta: ${checks.passed} passed, ${checks.failed} failed`)
process.exit(checks.failed ? 1 : 0)
