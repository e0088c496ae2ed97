// End-to-end: one list kept current on TikTok and Meta by syncs saved in
// the app (issue 21), in Debian's chromium against `wails dev` under Xvfb,
// the app pointed at the TikTok stand-in (e2e/standin) and the Meta
// stand-in (e2e/metastandin) through TIKTOK_*/META_API_BASE_URL and
// META_ACCESS_TOKEN, Settings > Meta holding the ad account. It goes: the
// Syncs view's New sync with Meta chosen (the ad account, Meta's audience
// picker, the hashing note) → the wizard uploads a 2,000-person list to
// TikTok and Meta → Save as sync in each platform's result panel (two syncs
// of one list, …-tiktok and …-meta, each taking its upload as its record
// when it can) → the list changes (a phone changes, a person leaves, a
// person joins) → Run now for both from the Syncs view (plan, upload, done,
// Meta's size and status in words). Each stand-in's audience must then hold
// exactly the people of the new list (Meta's membership is people: a row
// joins whoever any of its keys matches); a sync that adopted its upload
// must have sent only the difference. Last, a Meta run removing ~15% stops
// (299 of 2,000) at the removal guard until confirmed. axe audits each new screen;
// screenshots in $E2E_ARTIFACTS/screenshots (21-syncs-*.png; with
// E2E_DOCS=1 also docs/screenshots).
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { META_TOKEN, audit, createChecks, setup, shot as shotOf, sleep, startMetaStandin, startWithTikTok, stopGroups, tiktokSettings } from './lib.mjs'

const ADVERTISER = '7000000000000000001'
const ACCOUNT = 'act_100000000000001'
const AUDIENCE = 'E2E kept on both'
const env = setup('meta-syncs', {
  tiktok: tiktokSettings(ADVERTISER),
  meta: { ad_account: ACCOUNT, base_url: '' },
})
const results = { checks: [] }
const checks = createChecks(results)
const check = checks.check

// The customer list: person i has an e-mail and a phone; phones overrides some.
const list = path.join(env.work, 'crm-both.csv')
const email = (i) => `buyer${String(i).padStart(5, '0')}@example.com`
const phone = (i) => `+1212${String(2000000 + i)}`
function writeList(ids, phones = {}) {
  fs.writeFileSync(list, 'customer_id,email,phone\n' + ids.map((i) => `C${i},${email(i)},${phones[i] ?? phone(i)}`).join('\n') + '\n')
}
const range = (a, b) => Array.from({ length: b - a }, (_, i) => a + i)
const sha = (s) => crypto.createHash('sha256').update(s).digest('hex')
// 2,000: TikTok refuses a REMOVE while fewer than 1,000 are matched (the stand-in matches 70%).
const first = range(0, 2000)
writeList(first)

let app
let meta
try {
  meta = await startMetaStandin(env, 'metastandin-meta-syncs')
  app = await startWithTikTok(env, 'meta-syncs', { procs: [meta.proc], appEnv: { META_API_BASE_URL: meta.base, META_ACCESS_TOKEN: META_TOKEN } })
  const { page, consoleErrors, inspect } = app
  const shot = (name, el, docs = false) => shotOf(page, name, { el, docs })
  const openSyncs = async () => {
    await page.getByText('Syncs', { exact: true }).first().click()
    await page.getByTestId('new-sync').waitFor({ timeout: 30_000 })
  }

  // The Syncs view's New sync, Meta chosen: the ad account, the picker, the note.
  await openSyncs()
  await page.getByTestId('new-sync').click()
  await page.getByTestId('sync-destination').waitFor()
  await page.waitForFunction(() => !document.querySelector('[data-testid="sync-dest-meta"]')?.closest('.n-radio')?.classList.contains('n-radio--disabled'), null, { timeout: 15_000 })
  await page.getByTestId('sync-dest-meta').click()
  await page.getByTestId('meta-audience-picker').waitFor({ timeout: 10_000 })
  const adAccount = (await page.getByTestId('sync-ad-account').innerText()).trim()
  check('New sync offers Meta with the ad account of Settings > Meta', adAccount === ACCOUNT, adAccount)
  const note = (await page.getByTestId('sync-meta-note').innerText()).replace(/\s+/g, ' ')
  check('New sync to Meta says mobile advertiser IDs cannot be synced, and why', note.includes('Meta takes mobile advertiser IDs unhashed'), note)
  check('the Meta audience picker offers no add/remove/replace for a sync', !(await page.getByTestId('meta-audience-action').isVisible().catch(() => false)))
  await page.getByTestId('sync-name').locator('input').fill('madid-meta')
  await page.getByTestId('sync-input').locator('input').fill(list)
  await page.getByTestId('sync-mappings').locator('textarea').fill('email=email\ncustomer_id=idfa')
  await page.getByTestId('sync-audience-name').locator('input').fill('E2E MADID')
  await page.getByTestId('sync-save').click()
  const refused = (await page.getByTestId('sync-error').innerText({ timeout: 15_000 })).replace(/\s+/g, ' ')
  check('a Meta sync with a MADID column is refused in the engine’s sentence', refused.includes('Meta takes mobile advertiser IDs unhashed') && refused.includes('Correct it in the form'), refused)
  await shot('21-syncs-new-meta.png', page.getByRole('dialog', { name: 'Sync' }), true)
  await audit(page, 'Syncs: New sync to Meta (a MADID refused)')
  await page.getByRole('dialog', { name: 'Sync' }).getByRole('button', { name: 'Cancel' }).click()

  // The wizard: one list to TikTok and Meta.
  await page.getByText('New run', { exact: true }).first().click()
  await page.getByTestId('path-input').locator('input').fill(list)
  await page.getByTestId('path-open').click()
  await page.getByTestId('file-card').waitFor({ timeout: 30_000 })
  await page.getByTestId('next').click()
  await page.getByTestId('destinations').waitFor()
  await page.waitForFunction(() => !document.querySelector('[data-testid="dest-meta"]')?.closest('.n-checkbox')?.classList.contains('n-checkbox--disabled'), null, { timeout: 15_000 })
  await page.getByTestId('dest-meta').click()
  await page.getByTestId('meta-audience-picker').waitFor({ timeout: 10_000 })
  await page.getByTestId('audience').locator('input').fill(AUDIENCE)
  await page.getByTestId('layout-combined').click()
  await page.getByTestId('next').click()
  await page.getByTestId('schema-table').waitFor()
  await page.getByTestId('next').click()
  await page.getByTestId('preview-table').waitFor({ timeout: 30_000 })
  await page.getByTestId('start-run').click()
  await page.getByTestId('run-success').waitFor({ timeout: 120_000 })
  await page.getByTestId('upload-start').click()
  await page.getByTestId('meta-upload-start').click()
  await page.getByTestId('upload-success').waitFor({ timeout: 120_000 })
  await page.getByTestId('meta-upload-success').waitFor({ timeout: 120_000 })
  const tiktokID = (await page.getByTestId('upload-audience-id').innerText()).trim()
  const metaID = (await page.getByTestId('meta-upload-audience-id').innerText()).trim()
  let tt = await inspect()
  check('the upload made one TikTok audience of 2,000 people', tt.audiences.length === 1 && tt.audiences[0].Users === 2000, JSON.stringify(tt.audiences.map((a) => [a.Name, a.Users])))
  let [metaAud] = await meta.e2e('audiences?name=' + encodeURIComponent(AUDIENCE))
  check('the upload made the Meta audience of 2,000 people', metaAud?.id === metaID && metaAud.size === 2000, JSON.stringify(metaAud && [metaAud.id, metaAud.size]))

  // Save as sync in each platform's panel: two syncs of the one list.
  const saveAsSync = async (testid, want) => {
    await page.getByTestId(testid).click()
    await page.getByTestId('sync-name').waitFor()
    const form = {
      name: await page.getByTestId('sync-name').locator('input').inputValue(),
      input: await page.getByTestId('sync-input').locator('input').inputValue(),
    }
    return { form, dialog: page.getByRole('dialog', { name: 'Sync' }), want }
  }
  const tSave = await saveAsSync('save-as-sync', 'TikTok')
  const tName = tSave.form.name
  check('Save as sync to TikTok is named for its platform and reads the list', tName === 'E2E-kept-on-both-tiktok' && tSave.form.input === list, JSON.stringify(tSave.form))
  await page.getByTestId('sync-save').click()
  const tMsg = page.getByText(`Saved sync “${tName}” (TikTok).`)
  await tMsg.waitFor({ timeout: 15_000 })
  const tSaved = await tMsg.innerText()
  check('the TikTok sync starts from the TikTok upload', tSaved.includes('starts from this upload'), tSaved)
  const mSave = await saveAsSync('save-as-sync-meta', 'Meta')
  const mName = mSave.form.name
  check('Save as sync to Meta is named for its platform and reads the same list', mName === 'E2E-kept-on-both-meta' && mSave.form.input === list, JSON.stringify(mSave.form))
  const picked = (await page.getByTestId('meta-audience-picker').innerText()).replace(/\s+/g, ' ')
  check('Save as sync to Meta feeds the Meta audience just uploaded to', picked.includes(AUDIENCE), picked)
  await shot('21-syncs-save-meta.png', mSave.dialog)
  await audit(page, 'Save as sync to Meta dialog')
  await page.getByTestId('sync-save').click()
  const mMsg = page.getByText(`Saved sync “${mName}” (Meta).`)
  await mMsg.waitFor({ timeout: 15_000 })
  const mSaved = (await mMsg.innerText()).replace(/\s+/g, ' ')
  const metaAdopted = mSaved.includes('starts from this upload')
  check('saving the Meta sync says whether it starts from the Meta upload', metaAdopted || mSaved.includes('REPLACE'), mSaved)
  if (!metaAdopted) console.log(`note: the Meta sync did not adopt its upload: ${mSaved}`)
  await page.waitForFunction(() => !document.querySelector('.n-message'), null, { timeout: 20_000 }).catch(() => {})
  await audit(page, 'Step 5 with both Save as sync buttons')

  // The list changes: person 5's phone, person 7 leaves, person 2000 joins.
  const second = [...first.filter((i) => i !== 7), 2000]
  const newPhone = '+12129990005'
  writeList(second, { 5: newPhone })

  await openSyncs()
  await page.getByTestId('syncs-table').waitFor({ timeout: 30_000 })
  const table = (await page.getByTestId('syncs-table').innerText()).replace(/\s+/g, ' ')
  check('Syncs lists both syncs of the list, each with its platform', (await page.getByTestId(`platform-${tName}`).innerText()) === 'TikTok' && (await page.getByTestId(`platform-${mName}`).innerText()) === 'Meta' && table.includes(tiktokID) && table.includes(metaID), table)
  await shot('21-syncs-both.png', page.getByTestId('syncs-table'), true)
  await audit(page, 'Syncs (TikTok and Meta)')

  // runNow presses Run now, reads the plan, applies it and returns the plan and the done text.
  async function runNow(name, label) {
    await page.getByTestId(`run-${name}`).click()
    await page.getByTestId('sync-plan').waitFor({ timeout: 120_000 })
    const plan = {
      added: await page.getByTestId('plan-added').innerText(),
      removed: await page.getByTestId('plan-removed').innerText(),
      action: (await page.getByTestId('plan-action').innerText()).replace(/\s+/g, ' '),
    }
    if (label) {
      await shot(`${label}-plan.png`, page.getByRole('dialog', { name: 'Run sync' }))
      await audit(page, `Syncs: Run now plan (${name})`)
    }
    await page.getByTestId('sync-apply').click()
    await page.getByTestId('sync-done').waitFor({ timeout: 180_000 })
    const done = (await page.getByTestId('sync-done').innerText()).replace(/\s+/g, ' ')
    if (label) await audit(page, `Syncs: Run now done (${name})`)
    await page.getByTestId('sync-close').click()
    return { plan, done }
  }

  const tRun = await runNow(tName)
  check('the TikTok sync’s first run sends the difference: +1 / −1, no REPLACE', tRun.plan.added.includes('+1') && tRun.plan.removed.includes('−1') && !/replace/i.test(tRun.plan.action), JSON.stringify(tRun.plan))
  tt = await inspect()
  const ta = tt.audiences.find((a) => a.ID === tiktokID)
  check('the TikTok audience holds the new list’s 2,000 people (history CREATE, REMOVE, APPEND)', tt.audiences.length === 1 && ta?.Users === 2000 && ta.History.join() === 'CREATE,REMOVE,APPEND', JSON.stringify(tt.audiences.map((a) => [a.Name, a.Users, a.History])))

  const mRun = await runNow(mName, '21-syncs-meta')
  if (metaAdopted) {
    check('the Meta sync’s first run sends the difference: +1 / −1, no REPLACE', mRun.plan.added.includes('+1') && mRun.plan.removed.includes('−1') && !/replace/i.test(mRun.plan.action), JSON.stringify(mRun.plan))
  } else {
    check('the Meta sync that took no upload replaces the audience with the list, saying why', /replace/i.test(mRun.plan.action), JSON.stringify(mRun.plan))
  }
  check('the Meta run says Meta’s size and status in words and its lag', /Meta now reports the audience as .+, size .+/.test(mRun.done) && mRun.done.includes('24 hours') && !mRun.done.includes('TikTok'), mRun.done)
  ;[metaAud] = await meta.e2e('audiences?name=' + encodeURIComponent(AUDIENCE))
  const emails = (members) => members.flatMap((p) => p.filter((c) => c.startsWith('EMAIL=')).map((c) => c.slice(6)))
  const want = new Set(second.map((i) => sha(email(i))))
  const got = emails(metaAud?.members ?? [])
  check('the Meta audience holds exactly the new list’s 2,000 people, one e-mail each', metaAud?.id === metaID && metaAud.members.length === 2000 && got.length === 2000 && got.every((h) => want.has(h)),
    `${metaAud?.members.length} people, ${got.filter((h) => !want.has(h)).length} not in the list`)
  const p5 = metaAud?.members.find((p) => p.includes(`EMAIL=${sha(email(5))}`)) ?? []
  check('the person whose phone changed is one person holding the new phone', p5.includes(`PHONE=${sha(newPhone.slice(1))}`), JSON.stringify(p5))
  if (metaAdopted) {
    const unchanged = await meta.e2e('received', { method: 'POST', body: JSON.stringify(range(8, 2000).map((i) => ({ key: 'EMAIL', value: sha(email(i)) }))) })
    check('the Meta sync sent no unchanged person again', unchanged.every((n) => n === 1), `${unchanged.filter((n) => n !== 1).length} sent more than once`)
  }
  const stats = await meta.e2e('stats')
  check('no batch went twice into a Meta session, no payload in a URL', stats.RepeatedBatches === 0 && stats.PayloadInQuery === 0, JSON.stringify(stats))
  await page.waitForFunction((id) => document.querySelector(`[data-testid="${id}"]`)?.textContent.includes('size'), `status-${mName}`, { timeout: 15_000 }).catch(() => {})
  const mStatus = (await page.getByTestId(`status-${mName}`).innerText().catch(() => '')).replace(/\s+/g, ' ')
  check('Syncs shows the Meta audience’s status and size in words', mStatus.includes('size') && !mStatus.includes('matched'), mStatus)
  await audit(page, 'Syncs after both runs')

  // A Meta run removing ~15% of its people stops at the removal guard.
  const third = second.filter((i) => i >= 300)
  writeList(third, { 5: newPhone })
  await page.getByTestId(`run-${mName}`).click()
  await page.getByTestId('plan-removals').waitFor({ timeout: 120_000 })
  const warn = (await page.getByTestId('plan-removals').innerText()).replace(/\s+/g, ' ')
  check('a Meta run removing 299 of 2,000 people shows the numbers first', warn.includes('remove 299 of the 2,000 people') && warn.includes('more than the 10%'), warn)
  check('Upload these changes stays disabled until the removals are confirmed', await page.getByTestId('sync-apply').isDisabled())
  await shot('21-syncs-meta-removals.png', page.getByRole('dialog', { name: 'Run sync' }))
  await audit(page, 'Syncs: Meta removal guard')
  ;[metaAud] = await meta.e2e('audiences?name=' + encodeURIComponent(AUDIENCE))
  check('the guarded plan sent nothing to Meta', metaAud?.size === 2000, String(metaAud?.size))
  await page.getByTestId('confirm-removals').click()
  await page.getByTestId('sync-apply').click()
  await page.getByTestId('sync-done').waitFor({ timeout: 180_000 })
  await page.getByTestId('sync-close').click()
  ;[metaAud] = await meta.e2e('audiences?name=' + encodeURIComponent(AUDIENCE))
  const want3 = new Set(third.map((i) => sha(email(i))))
  const got3 = emails(metaAud?.members ?? [])
  check('after the confirmation the Meta audience holds the 1,701 people of the list', metaAud?.members.length === 1701 && got3.length === 1701 && got3.every((h) => want3.has(h)), `${metaAud?.members.length} people`)

  await sleep(200)
  check('no errors in the page console', consoleErrors.length === 0, consoleErrors.slice(0, 3).join(' | '))
} catch (e) {
  check('meta-syncs run completed', false, String(e?.stack || e))
} finally {
  if (app) await app.stop()
  else if (meta) await stopGroups([meta.proc])
  fs.writeFileSync(path.join(env.artifacts, 'e2e-meta-syncs-results.json'), JSON.stringify(results, null, 2))
  fs.rmSync(env.work, { recursive: true, force: true })
}
console.log(`e2e meta-syncs: ${checks.passed} passed, ${checks.failed} failed`)
process.exit(checks.failed ? 1 : 0)
