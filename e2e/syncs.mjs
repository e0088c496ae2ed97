// End-to-end: a sync saved from the upload result screen keeps its audience
// current. The wizard uploads a 2,000-row list to the TikTok stand-in
// (e2e/standin) and "Save as sync" saves it pre-filled from the run, taking
// that upload as the sync's record (the Syncs view says it was adopted).
// Then the list loses 50 people and gains 100, and the first "Run now"
// shows the plan (+100 / −50, not a REPLACE) before anything is sent, then
// applies it by APPEND and REMOVE: the stand-in's audience holds 2,050
// people and its history is CREATE, APPEND, REMOVE. Driven in Debian's chromium against
// `wails dev` under Xvfb like e2e/upload.mjs; screenshots in
// $E2E_ARTIFACTS/screenshots (12-syncs-*.png), the Syncs view also in docs/ with E2E_DOCS=1 (make screenshots).
import fs from 'node:fs'
import path from 'node:path'
import { audit, createChecks, setup, shot, sleep, startWithTikTok } from './lib.mjs'

const ADVERTISER = '7000000000000000001'
const AUDIENCE = 'E2E sync buyers'
const env = setup('syncs', {
  default_region: 'US',
  phone_format: 'digits',
  max_file_mb: 50,
  workers: 0,
  tiktok: { environment: 'production', base_url: '', advertiser_id: ADVERTISER },
})
const results = { checks: [] }
const checks = createChecks(results)
const check = checks.check

// The customer list: people from..to-1.
const list = path.join(env.work, 'crm-export.csv')
function writeList(ids) {
  fs.writeFileSync(list, 'customer_id,email\n' + ids.map((i) => `C${i},person${String(i).padStart(5, '0')}@example.com`).join('\n') + '\n')
}
const range = (a, b) => Array.from({ length: b - a }, (_, i) => a + i)
writeList(range(0, 2000))

let app
try {
  app = await startWithTikTok(env, 'syncs')
  const { page, consoleErrors, inspect } = app

  // The wizard: transform and upload the list into a new audience.
  await page.getByTestId('path-input').locator('input').fill(list)
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
  await page.getByTestId('upload-start').waitFor({ timeout: 20_000 })
  await page.getByTestId('upload-start').click()
  // The upload panel while it sends, and its cancel dialog answered "Keep uploading"
  // (audited here rather than in upload.mjs, whose status-card check is timed by the stand-in).
  if (await page.getByTestId('upload-cancel').waitFor({ timeout: 10_000 }).then(() => true, () => false)) {
    await audit(page, 'Step 5 Upload panel (uploading)')
    if (await page.getByTestId('upload-cancel').click({ timeout: 2_000 }).then(() => true, () => false)) {
      await page.locator('.n-dialog').waitFor()
      await audit(page, 'Dialog: cancel the upload?')
      await page.locator('.n-dialog').getByRole('button', { name: 'Keep uploading' }).click()
    }
  }
  await page.getByTestId('upload-success').waitFor({ timeout: 120_000 })
  const audienceId = (await page.getByTestId('upload-audience-id').innerText()).trim()
  let got = await inspect()
  check('the upload made one audience of 2,000 people', got.audiences.length === 1 && got.audiences[0].Users === 2000, JSON.stringify(got.audiences.map((a) => [a.Name, a.Users])))

  // Save as sync, pre-filled from the run.
  await page.getByTestId('save-as-sync').click()
  await page.getByTestId('sync-name').waitFor()
  const name = await page.getByTestId('sync-name').locator('input').inputValue()
  const input = await page.getByTestId('sync-input').locator('input').inputValue()
  const maps = await page.getByTestId('sync-mappings').locator('textarea').inputValue()
  const audId = await page.getByTestId('sync-audience-id').locator('input').inputValue()
  check('Save as sync is filled in from the run', name === 'E2E-sync-buyers' && input === list && maps.includes('email=email') && audId === audienceId, `${name} ${input} ${maps} ${audId}`)
  await shot(page, '12-syncs-save.png')
  await audit(page, 'Save as sync dialog')
  await page.getByTestId('sync-save').click()
  await page.getByText(`Saved sync “${name}”`).waitFor({ timeout: 15_000 })
  const savedMsg = await page.getByText(`Saved sync “${name}”`).innerText()
  check('Save as sync says the sync starts from this upload', savedMsg.includes('starts from this upload'), savedMsg)

  await page.getByText('Syncs', { exact: true }).first().click()
  await page.getByTestId('syncs-table').waitFor({ timeout: 30_000 })
  let table = await page.getByTestId('syncs-table').innerText()
  check('Syncs lists the sync with its source and audience', table.includes(name) && table.includes('crm-export.csv') && table.includes(audienceId), table.replace(/\s+/g, ' '))

  // runNow presses Run now, reads the plan (nothing sent yet), then applies it.
  async function runNow(label) {
    await page.getByTestId(`run-${name}`).click()
    await page.getByTestId('sync-plan').waitFor({ timeout: 120_000 })
    const plan = {
      added: await page.getByTestId('plan-added').innerText(),
      removed: await page.getByTestId('plan-removed').innerText(),
      reason: (await page.getByTestId('plan-action').innerText()).replace(/\s+/g, ' '),
    }
    const before = await inspect()
    if (label) {
      await shot(page, label, { docs: true })
      await audit(page, 'Syncs: Run now plan dialog')
    }
    await page.getByTestId('sync-apply').click()
    await page.getByTestId('sync-done').waitFor({ timeout: 180_000 })
    if (label) await audit(page, 'Syncs: Run now done dialog')
    await page.getByTestId('sync-close').click()
    return { plan, before }
  }

  // Save as sync took the upload as the sync's record, so no run is needed
  // before the list changes.
  check('Syncs says the sync was adopted from the upload', table.includes('Adopted from the upload of'), table.replace(/\s+/g, ' '))

  // The list changes: 50 people leave, 100 arrive.
  writeList(range(50, 2100))
  const histBefore = (await inspect()).audiences[0].History.length
  const changed = await runNow('12-syncs-plan.png')
  check('the first Run now after Save as sync shows a difference first: +100 / −50, not a REPLACE', changed.plan.added.includes('+100') && changed.plan.removed.includes('−50') && !/replace/i.test(changed.plan.reason), `${changed.plan.added} ${changed.plan.removed} — ${changed.plan.reason}`)
  check('the plan sent nothing', changed.before.audiences[0].History.length === histBefore && changed.before.audiences[0].Users === 2000, JSON.stringify(changed.before.audiences[0].History))
  got = await inspect()
  const a = got.audiences.find((x) => x.ID === audienceId)
  check('after the run the audience holds the current list: 2,050 people, by APPEND and REMOVE only (history CREATE, APPEND, REMOVE)', got.audiences.length === 1 && a?.Users === 2050 && a.History.join() === 'CREATE,APPEND,REMOVE', JSON.stringify(got.audiences.map((x) => [x.Name, x.Users, x.History])))
  await page.getByTestId(`last-run-${name}`).waitFor({ timeout: 15_000 })
  table = await page.getByTestId('syncs-table').innerText()
  check('the Syncs view shows the last run as +100 / −50', table.includes('+100') && table.includes('−50'), table.replace(/\s+/g, ' '))
  await sleep(2500)
  await page.getByTestId('syncs-refresh').click()
  await shot(page, '12-syncs.png', { docs: true })
  await audit(page, 'Syncs')

  // The Audiences view says which sync feeds the audience.
  await page.getByText('Audiences', { exact: true }).first().click()
  await page.getByTestId('audiences-table').waitFor({ timeout: 30_000 })
  const aud = await page.getByTestId('audiences-table').innerText()
  check('the Audiences view names the sync that feeds the audience', aud.includes(AUDIENCE) && aud.includes(name), aud.replace(/\s+/g, ' '))
  check('no console errors', consoleErrors.length === 0, consoleErrors.join(' | '))
} catch (e) {
  check('the script ran to the end', false, String(e?.stack || e))
} finally {
  await app?.stop()
}
fs.writeFileSync(path.join(env.artifacts, 'e2e-syncs.json'), JSON.stringify(results, null, 2))
console.log(`${checks.passed} passed, ${checks.failed} failed`)
process.exit(checks.failed ? 1 : 0)
