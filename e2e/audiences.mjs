// End-to-end: the Audiences view against the TikTok stand-in (e2e/standin),
// driven in Debian's chromium against `wails dev` under Xvfb like
// e2e/upload.mjs. Two audiences are made at the stand-in over its HTTP API
// (as another tool would); the view lists them, renames one, creates a
// lookalike of it and deletes the other, each checked at the stand-in.
// Screenshots go to $E2E_ARTIFACTS/screenshots (12-audiences-*.png).
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { TIKTOK_TOKEN as TOKEN, audit, createChecks, setup, shot, sleep, startWithTikTok, tiktokSettings } from './lib.mjs'

const ADVERTISER = '7000000000000000001'
const env = setup('audiences', {
  tiktok: tiktokSettings(ADVERTISER),
})

const results = { checks: [] }
const checks = createChecks(results)
const check = checks.check

// tiktok calls the stand-in's API (at base) directly, as another tool would.
let base
async function tiktok(route, init) {
  const r = await fetch(`${base}v1.3/${route}`, { ...init, headers: { ...(init.headers ?? {}), 'Access-Token': TOKEN } })
  const reply = await r.json()
  if (reply.code !== 0) throw new Error(`${route}: ${reply.code} ${reply.message}`)
  return reply.data
}
async function makeAudience(name, n) {
  let body = ''
  for (let i = 0; i < n; i++) body += crypto.createHash('sha256').update(`${name}.${i}@example.com`).digest('hex') + '\n'
  const form = new FormData()
  form.append('advertiser_id', ADVERTISER)
  form.append('calculate_type', 'EMAIL_SHA256')
  form.append('file_signature', crypto.createHash('md5').update(body).digest('hex'))
  form.append('file', new Blob([body], { type: 'text/csv' }), 'hashes.csv')
  const { file_path } = await tiktok('dmp/custom_audience/file/upload/', { method: 'POST', body: form })
  const created = await tiktok('dmp/custom_audience/create/', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ advertiser_id: ADVERTISER, custom_audience_name: name, file_paths: [file_path], calculate_type: 'EMAIL_SHA256' }),
  })
  return created.custom_audience_id
}
let app
try {
  // The two audiences are made before the app starts, as another tool would
  // have made them: the stand-in has them ready when the view lists them.
  let customersId, oldId
  app = await startWithTikTok(env, 'audiences', {
    beforeApp: async (standin) => {
      base = standin.base
      customersId = await makeAudience('E2E customers', 2000)
      oldId = await makeAudience('E2E old list', 1500)
    },
  })
  const { page, consoleErrors, inspect } = app
  const rowOf = (name) => page.getByTestId('audiences-table').locator('tr', { hasText: name })

  await page.getByText('Audiences', { exact: true }).first().click()
  await page.getByTestId('audiences-table').waitFor({ timeout: 30_000 })
  await page.getByTestId('audiences-table').getByText('Ready').first().waitFor({ timeout: 30_000 })
  let table = await page.getByTestId('audiences-table').innerText()
  check('the Audiences view lists both audiences with their ids', table.includes('E2E customers') && table.includes(customersId) && table.includes('E2E old list') && table.includes(oldId), table.replace(/\s+/g, ' '))
  check('each row shows its kind, matched users and status', table.includes('Customer File') && table.includes('1,400') && table.includes('1,050') && table.includes('Ready'), table.replace(/\s+/g, ' '))

  // Rename.
  await rowOf('E2E customers').getByTestId('rename').click()
  await page.getByTestId('rename-input').waitFor()
  await audit(page, 'Audiences: rename dialog')
  await page.getByTestId('rename-input').locator('input').fill('E2E customers (weekly)')
  await page.getByTestId('rename-save').click()
  await page.getByText('Renamed “E2E customers” to “E2E customers (weekly)”.').waitFor({ timeout: 15_000 })
  let got = await inspect()
  check('the rename reached the stand-in', got.audiences.find((a) => a.ID === customersId)?.Name === 'E2E customers (weekly)')
  await page.getByTestId('audiences-table').getByText('E2E customers (weekly)').waitFor({ timeout: 15_000 })

  // Lookalike of the renamed audience.
  await rowOf('E2E customers (weekly)').getByTestId('lookalike').click()
  await page.getByTestId('lal-name').locator('input').fill('E2E customers lookalike')
  await page.getByText('Narrow (most similar)').click()
  await shot(page, '12-audiences-lookalike.png', { docs: true })
  await audit(page, 'Audiences: lookalike dialog')
  await page.getByTestId('lal-create').click()
  await page.getByText('Lookalike “E2E customers lookalike” created').waitFor({ timeout: 15_000 })
  got = await inspect()
  const lal = got.audiences.find((a) => a.Name === 'E2E customers lookalike')
  check('the lookalike exists at the stand-in, seeded from the renamed audience', !!lal && got.audiences.length === 3, JSON.stringify(got.audiences.map((a) => a.Name)))
  await page.getByTestId('audiences-table').getByText('Lookalike', { exact: true }).waitFor({ timeout: 15_000 })
  await page.getByTestId('audiences-table').getByText('Ready').nth(2).waitFor({ timeout: 30_000 }).catch(() => {})
  await page.getByTestId('refresh').click()
  await sleep(1500)
  await shot(page, '12-audiences.png', { docs: true })
  await audit(page, 'Audiences')

  // Delete, after a confirmation that names the audience.
  await rowOf('E2E old list').getByTestId('delete').click()
  const dlg = page.locator('.n-dialog')
  await dlg.waitFor()
  const dlgText = await dlg.innerText()
  await audit(page, 'Audiences: delete dialog')
  check('delete asks first, naming the audience', dlgText.includes('Delete the audience “E2E old list”?') && dlgText.includes(oldId), dlgText.replace(/\s+/g, ' '))
  await dlg.getByRole('button', { name: 'Delete “E2E old list”' }).click()
  await page.getByText('Deleted “E2E old list”.').waitFor({ timeout: 15_000 })
  got = await inspect()
  check('the audience is gone at the stand-in', !got.audiences.some((a) => a.ID === oldId))
  table = await page.getByTestId('audiences-table').innerText()
  check('the view no longer lists it', !table.includes('E2E old list'))
  check('no console errors', consoleErrors.length === 0, consoleErrors.join(' | '))
} catch (e) {
  check('the script ran to the end', false, String(e?.stack || e))
  await app?.page?.screenshot({ path: path.join(env.shots, '12-audiences-failed.png') }).catch(() => {})
} finally {
  await app?.stop()
}
fs.writeFileSync(path.join(env.artifacts, 'e2e-audiences.json'), JSON.stringify(results, null, 2))
console.log(`${checks.passed} passed, ${checks.failed} failed`)
process.exit(checks.failed ? 1 : 0)
