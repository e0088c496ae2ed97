// End-to-end: a sync saved from the upload result screen keeps its audience
// current. The wizard uploads a 2,000-row list to the TikTok stand-in
// (e2e/standin) and "Save as sync" saves it pre-filled from the run, taking
// that upload as the sync's record (the Syncs view says it was adopted).
// Then the list loses 50 people and gains 100, and the first "Run now"
// shows the plan (+100 / −50, not a REPLACE) before anything is sent, then
// applies it by APPEND and REMOVE: the stand-in's audience holds 2,050
// people and its history is CREATE, REMOVE, APPEND (people who left go
// first, issue 17). Then the list loses a
// quarter of its people: the plan shows the removal guard's numbers and
// nothing is sent until the explicit confirmation. Then a Clean Rooms
// sync: a finished protected query of a weekly analysis template is picked
// in Step 1's AWS Clean Rooms tab (the AWS Clean Rooms stand-in and
// versitygw, the AWS chain's credentials), uploaded and saved as a sync that
// always reads the newest result of that analysis; the analysis runs again
// and another analysis of the collaboration has a newer result still, and
// Run now in the Syncs view reads the weekly one's new result (+100 / −50)
// and shows it done. Driven in Debian's chromium against
// `wails dev` under Xvfb like e2e/upload.mjs; screenshots in
// $E2E_ARTIFACTS/screenshots (12-syncs-*.png), the Syncs view also in docs/ with E2E_DOCS=1 (make screenshots).
import fs from 'node:fs'
import path from 'node:path'
import { audit, createChecks, setup, shot, sleep, startAWS, startWithTikTok, tiktokSettings } from './lib.mjs'

const ADVERTISER = '7000000000000000001'
const AUDIENCE = 'E2E sync buyers'
const CR_AUDIENCE = 'E2E Clean Rooms lift'
const env = setup('syncs', {
  tiktok: tiktokSettings(ADVERTISER),
  aws: { credential_source: 'aws-chain', region: 'us-east-1', bucket: '', prefix: '' },
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

// AWS Clean Rooms: membership mCR's weekly analysis template ran as qWeek1;
// later qWeek2 (same template: 50 people fewer, 100 more) and qOther (other
// SQL, newer still). Their CSV results are on versitygw from the start; the
// stand-in lists qWeek1 only until the week has passed (catalogAfter).
const mCR = '3a7d9c1e-2b4f-4e6a-9c8d-7f1e2d3c4b5a'
const qWeek1 = '6e5d4c3b-2a19-4f8e-9d7c-6b5a4f3e2d1c'
const qWeek2 = '8c7b6a59-4e3d-4c2b-9a1f-0e9d8c7b6a5f'
const qOther = 'f0e1d2c3-b4a5-4968-8776-655443322110'
const template = `arn:aws:cleanrooms:us-east-1:111122223333:membership/${mCR}/analysistemplate/weekly-lift`
const crOut = { bucket: 'cr-results', key_prefix: 'weekly', format: 'CSV' }
const crQuery = (id, created, extra) => ({ id, membership_id: mCR, status: 'SUCCESS', created, duration_ms: 61000, s3: crOut, location: `s3://cr-results/weekly/${id}/`, ...extra })
const crMembership = { id: mCR, collaboration_id: 'c0ffee00-2222-4333-8444-555566667777', collaboration_name: 'Weekly lift', creator_display_name: 'Retailer',
  abilities: ['CAN_QUERY', 'CAN_RECEIVE_RESULTS'], created: '2026-10-01T09:00:00Z' }
const catalogBefore = { region: 'us-east-1', account_id: '111122223333', memberships: [crMembership],
  queries: [crQuery(qWeek1, '2026-11-23T08:00:00Z', { analysis_template_arn: template })] }
const catalogAfter = { ...catalogBefore, queries: [...catalogBefore.queries,
  crQuery(qWeek2, '2026-11-30T08:00:00Z', { analysis_template_arn: template }),
  crQuery(qOther, '2026-12-01T08:00:00Z', { query_string: 'SELECT email FROM churned' })] }
const s3Root = path.join(env.work, 's3')
function writeResult(id, ids) {
  const dir = path.join(s3Root, 'cr-results/weekly', id)
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(path.join(dir, 'part-00000-1a2b3c4d-c000.csv'), 'email\n' + ids.map((i) => `cr${String(i).padStart(5, '0')}@example.com`).join('\n') + '\n')
  fs.writeFileSync(path.join(dir, '_SUCCESS'), '')
}
writeResult(qWeek1, range(0, 2000))
writeResult(qWeek2, range(50, 2100))
writeResult(qOther, range(9000, 9500))

let app
let aws
try {
  aws = await startAWS(env, 'syncs', s3Root, catalogBefore)
  app = await startWithTikTok(env, 'syncs', { appEnv: aws.appEnv })
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
  check('after the run the audience holds the current list: 2,050 people, by REMOVE and APPEND only (history CREATE, REMOVE, APPEND)', got.audiences.length === 1 && a?.Users === 2050 && a.History.join() === 'CREATE,REMOVE,APPEND', JSON.stringify(got.audiences.map((x) => [x.Name, x.Users, x.History])))
  await page.getByTestId(`last-run-${name}`).waitFor({ timeout: 15_000 })
  table = await page.getByTestId('syncs-table').innerText()
  check('the Syncs view shows the last run as +100 / −50', table.includes('+100') && table.includes('−50'), table.replace(/\s+/g, ' '))
  await sleep(2500)
  await page.getByTestId('syncs-refresh').click()
  await shot(page, '12-syncs.png', { docs: true })
  await audit(page, 'Syncs')

  // A list that lost a quarter of its people (a part missing, a failed
  // export): the plan shows the removal guard's numbers and sends nothing
  // until the explicit yes; then the audience holds the shorter list.
  writeList(range(600, 2100))
  await page.getByTestId(`run-${name}`).click()
  await page.getByTestId('plan-removals').waitFor({ timeout: 120_000 })
  const warn = (await page.getByTestId('plan-removals').innerText()).replace(/\s+/g, ' ')
  check('a run removing 550 of 2,050 people shows the numbers and the likely causes', warn.includes('remove 550 of the 2,050 people') && warn.includes('26.8%') && warn.includes('more than the 10%') && warn.includes('part of the list may be missing'), warn)
  check('Upload these changes stays disabled until the removals are confirmed', await page.getByTestId('sync-apply').isDisabled())
  await shot(page, '12-syncs-removals.png')
  await audit(page, 'Syncs: large removal confirmation')
  got = await inspect()
  check('the guarded plan sent nothing', got.audiences[0].Users === 2050, String(got.audiences[0].Users))
  await page.getByTestId('confirm-removals').click()
  await page.getByTestId('sync-apply').click()
  await page.getByTestId('sync-done').waitFor({ timeout: 180_000 })
  await page.getByTestId('sync-close').click()
  got = await inspect()
  check('after the confirmation the audience holds the 1,500 people of the list', got.audiences.length === 1 && got.audiences[0].Users === 1500, JSON.stringify(got.audiences.map((x) => [x.Name, x.Users, x.History])))

  // The Audiences view says which sync feeds the audience.
  await page.getByText('Audiences', { exact: true }).first().click()
  await page.getByTestId('audiences-table').waitFor({ timeout: 30_000 })
  const aud = await page.getByTestId('audiences-table').innerText()
  check('the Audiences view names the sync that feeds the audience', aud.includes(AUDIENCE) && aud.includes(name), aud.replace(/\s+/g, ' '))

  // A Clean Rooms sync. Step 1's AWS Clean Rooms tab: the weekly analysis's
  // finished query, uploaded into a new audience.
  await page.getByText('New run', { exact: true }).first().click()
  await page.getByTestId('new-run').click()
  await page.getByTestId('cleanrooms-tab').click()
  await page.getByTestId('cr-membership').filter({ hasText: 'Weekly lift' }).click()
  await page.getByTestId('cr-query-pick').filter({ hasText: qWeek1 }).click()
  await page.getByTestId('file-parts').waitFor({ timeout: 60_000 })
  await page.getByTestId('next').click()
  await page.getByTestId('audience').locator('input').fill(CR_AUDIENCE)
  await page.getByTestId('next').click()
  await page.getByTestId('schema-table').waitFor()
  await page.getByTestId('next').click()
  await page.getByTestId('preview-table').waitFor({ timeout: 60_000 })
  await page.getByTestId('start-run').click()
  await page.getByTestId('run-success').waitFor({ timeout: 120_000 })
  await page.getByTestId('upload-start').waitFor({ timeout: 20_000 })
  await page.getByTestId('upload-start').click()
  await page.getByTestId('upload-success').waitFor({ timeout: 120_000 })
  const crAudienceId = (await page.getByTestId('upload-audience-id').innerText()).trim()
  got = await inspect()
  check('the Clean Rooms result was uploaded as a new audience of 2,000 people', got.audiences.find((x) => x.ID === crAudienceId)?.Users === 2000, JSON.stringify(got.audiences.map((x) => [x.Name, x.Users])))

  // Save as sync offers the newest result of this analysis, chosen by default.
  await page.getByTestId('save-as-sync').click()
  await page.getByTestId('sync-cleanrooms-source').waitFor()
  const crName = await page.getByTestId('sync-name').locator('input').inputValue()
  const crInput = await page.getByTestId('sync-input').locator('input').inputValue()
  const latestChosen = await page.getByTestId('sync-cleanrooms-latest').locator('input').isChecked()
  check('Save as sync after a Clean Rooms pick reads "Always the newest result of this analysis"', latestChosen && crInput === `cleanrooms://${mCR}/latest?like=${qWeek1}`, `${latestChosen} ${crInput}`)
  await audit(page, 'Save as sync dialog (AWS Clean Rooms)')
  await page.getByTestId('sync-save').click()
  await page.getByText(`Saved sync “${crName}”`).waitFor({ timeout: 15_000 })

  // A week later the analysis ran again, and another analysis after it.
  await aws.cleanRooms(catalogAfter, 'cleanrooms-standin-syncs-week2')
  await page.getByText('Syncs', { exact: true }).first().click()
  await page.getByTestId('syncs-table').waitFor({ timeout: 30_000 })
  table = await page.getByTestId('syncs-table').innerText()
  check('Syncs lists the Clean Rooms sync with its source', table.includes(crName) && table.includes(`cleanrooms://${mCR}/latest`), table.replace(/\s+/g, ' '))
  await page.getByTestId(`run-${crName}`).click()
  await page.getByTestId('sync-plan').waitFor({ timeout: 120_000 })
  const crPlan = {
    added: await page.getByTestId('plan-added').innerText(),
    removed: await page.getByTestId('plan-removed').innerText(),
    source: (await page.getByTestId('plan-source').innerText()).replace(/\s+/g, ' '),
  }
  check('Run now reads the weekly analysis\'s newest result, not the other analysis\'s newer one: +100 / −50',
    crPlan.added.includes('+100') && crPlan.removed.includes('−50') && crPlan.source.includes(`protected query ${qWeek2}`) && !crPlan.source.includes(qOther), JSON.stringify(crPlan))
  await shot(page, '12-syncs-cleanrooms-plan.png')
  await audit(page, 'Syncs: Run now plan of a Clean Rooms sync')
  await page.getByTestId('sync-apply').click()
  await page.getByTestId('sync-done').waitFor({ timeout: 180_000 })
  const crDone = (await page.getByTestId('sync-done').innerText()).replace(/\s+/g, ' ')
  check('the Clean Rooms sync\'s run is shown done: added 100, removed 50', crDone.includes('Added 100, removed 50'), crDone)
  await page.getByTestId('sync-close').click()
  got = await inspect()
  const crAud = got.audiences.find((x) => x.ID === crAudienceId)
  check('the Clean Rooms sync\'s audience holds the new result\'s 2,050 people (history CREATE, REMOVE, APPEND)', crAud?.Users === 2050 && crAud.History.join() === 'CREATE,REMOVE,APPEND', JSON.stringify(crAud))
  await page.waitForFunction((id) => document.querySelector(`[data-testid="${id}"]`)?.textContent.includes('+100'), `last-run-${crName}`, { timeout: 15_000 }).catch(() => {})
  const crLast = (await page.getByTestId(`last-run-${crName}`).innerText()).replace(/\s+/g, ' ')
  check('the Syncs view shows the Clean Rooms sync\'s last run as +100 / −50', crLast.includes('+100') && crLast.includes('−50'), crLast)
  check('no console errors', consoleErrors.length === 0, consoleErrors.join(' | '))
} catch (e) {
  check('the script ran to the end', false, String(e?.stack || e))
} finally {
  await app?.stop()
  await aws?.stop()
}
fs.writeFileSync(path.join(env.artifacts, 'e2e-syncs.json'), JSON.stringify(results, null, 2))
console.log(`${checks.passed} passed, ${checks.failed} failed`)
process.exit(checks.failed ? 1 : 0)
