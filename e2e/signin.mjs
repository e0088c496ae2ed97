// End-to-end: sign-in and the S3 tab in Debian's chromium (playwright-core)
// against `wails dev` under Xvfb. The Cognito stand-in (real SRP proofs)
// holds a user with a temporary password who must also set up an
// authenticator; versitygw serves a bucket with the sample file. The test
// signs in through both challenges (the TOTP code is computed here from the
// secret the screen shows), picks the file in the S3 tab and reaches the
// Confirm step's preview with the spec's hashes. Then "Use this folder" on a
// Clean Rooms-style prefix of Parquet parts (with _SUCCESS) runs through to
// the output hashes. Screenshots go to $E2E_ARTIFACTS/screenshots
// (10-signin-*.png, 11-s3-*.png).
import { spawn } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { audit, createChecks, freePort, openPage, setup, shot as shotOf, sleep, startWailsDev, stopGroups, waitForServer, waitPort } from './lib.mjs'

const region = 'us-east-1'
const pool = 'us-east-1_E2E'
const client = 'e2e-client'
const identity = 'us-east-1:e2e00000-0000-0000-0000-000000000000'
const { root, chromium, artifacts, shots, work, cfgDir, outDir, sample, url } = setup('signin', {
  aws: { credential_source: 'cognito', region, user_pool_id: pool, app_client_id: client, identity_pool_id: identity, bucket: 'e2e-data', prefix: '' },
})
const versitygw = process.env.VERSITYGW || path.join(root, 'build/bin/versitygw')
const standin = path.join(root, 'build/bin/cognito-standin')
const access = 'E2EACCESSKEY'
const secretKey = 'e2e-secret-key'
const user = { name: 'e2e@example.com', temp: 'Temp-Pass-1!', next: 'Chosen-Pass-2!' }
const emailHash = 'd6117306485ed0e50afab3ac871e98f81699151f30281527d63ff5f233656c69' // janedoe@gmail.com (spec)
const sha = (v) => crypto.createHash('sha256').update(v).digest('hex')
// The DuckDB-written Parquet fixtures (backend/records/testdata/gen): row i's
// email and phone, as backend/cli/formats_test.go's fixtureHash has them
// ('' where the fixture leaves the cell null).
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

// RFC 6238 TOTP (SHA-1, 30 s, 6 digits) from a base32 secret.
function totp(secret, t = Date.now()) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  let bits = ''
  for (const ch of secret.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0')
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)))
  const counter = Buffer.alloc(8)
  counter.writeBigUInt64BE(BigInt(Math.floor(t / 30000)))
  const h = crypto.createHmac('sha1', key).update(counter).digest()
  const o = h[h.length - 1] & 15
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1_000_000).padStart(6, '0')
}

const procs = []
function start(name, cmd, args, opts = {}) {
  const log = fs.openSync(path.join(artifacts, `${name}.log`), 'w')
  const p = spawn(cmd, args, { detached: true, stdio: ['ignore', log, log], ...opts })
  procs.push(p)
  return p
}


let browser
try {
  // versitygw with the sample in e2e-data/lists/, the stand-in with one user.
  const s3Root = path.join(work, 's3')
  fs.mkdirSync(path.join(s3Root, 'e2e-data/lists'), { recursive: true })
  fs.copyFileSync(sample, path.join(s3Root, 'e2e-data/lists/customers-sample.csv'))
  // A Clean Rooms-style result prefix: Parquet parts (rows 0-4499 and 0-249 of the fixture) and _SUCCESS.
  const q = path.join(s3Root, 'e2e-data/results/q-123')
  fs.mkdirSync(q, { recursive: true })
  const fixtures = path.join(root, 'backend/records/testdata/binary')
  fs.copyFileSync(path.join(fixtures, 'list_snappy.parquet'), path.join(q, 'part-00000-5e1f0c7a-c000.snappy.parquet'))
  fs.copyFileSync(path.join(fixtures, 'list_gzip.parquet'), path.join(q, 'part-00001-5e1f0c7a-c000.gz.parquet'))
  fs.writeFileSync(path.join(q, '_SUCCESS'), '')
  const s3Port = await freePort()
  const s3 = start('versitygw', versitygw, ['--port', `127.0.0.1:${s3Port}`, '--access', access, '--secret', secretKey, '--region', region, '--quiet', 'posix', s3Root])
  const cgPort = await freePort()
  // Its secrets go in the environment, never argv (the stand-in refuses them there).
  const cg = start('cognito-standin', standin, [
    '--addr', `127.0.0.1:${cgPort}`, '--region', region, '--user-pool-id', pool, '--client-id', client, '--identity-pool-id', identity,
    '--s3-access-key', access, '--no-session-token',
    '--user', `username=e2e-user,password-env=E2E_USER_PASSWORD,email=${user.name},status=FORCE_CHANGE_PASSWORD,required=name,mfa-setup=true`,
  ], { env: { ...process.env, COGNITO_STANDIN_S3_SECRET_KEY: secretKey, E2E_USER_PASSWORD: user.temp } })
  await waitPort(s3Port, s3, 'versitygw')
  await waitPort(cgPort, cg, 'cognito-standin')

  // No D-Bus session (startWailsDev): no keychain, so the session is memory-only and the app says so.
  const { proc: dev, logPath: devLog } = startWailsDev({ root, artifacts, work, cfgDir }, 'wails-dev-signin', {
    AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${s3Port}`,
    AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: `http://127.0.0.1:${cgPort}`,
    AWS_ENDPOINT_URL_COGNITO_IDENTITY: `http://127.0.0.1:${cgPort}`,
    AWS_CONFIG_FILE: path.join(work, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(work, 'no-aws-credentials'),
  })
  procs.push(dev)

  await waitForServer(dev, url, 420_000, devLog)
  const opened = await openPage(chromium)
  browser = opened.browser
  const { page, consoleErrors } = opened
  const shot = (name) => shotOf(page, name)
  await page.goto(url)

  // The sign-in screen opens because Cognito is configured; no keychain here.
  await page.getByTestId('signin-view').waitFor({ timeout: 60_000 })
  check('sign-in screen opens when Cognito is configured', true)
  {
    // Plain words (what to install and unlock), never go-keyring's D-Bus error.
    const notice = await page.getByTestId('keychain-notice').innerText()
    check('memory-only notice without a keychain says to install GNOME Keyring or KWallet, no D-Bus text',
      notice.includes('GNOME Keyring or KWallet') && notice.includes('sign in each time') && !/freedesktop|dbus/i.test(notice), notice)
  }
  await page.getByTestId('signin-username').locator('input').fill(user.name)
  await page.getByTestId('signin-password').locator('input').fill('Wrong-Pass-9!')
  await shot('10-signin-form.png')
  await audit(page, 'Sign-in: user name and password')
  await page.keyboard.press('Enter')
  await page.getByTestId('signin-error').waitFor({ timeout: 30_000 })
  const wrong = await page.getByTestId('signin-error').innerText()
  check('a wrong password is said in plain words', wrong.includes('user name or password is incorrect'), wrong)
  await shot('10-signin-error.png')
  await audit(page, 'Sign-in: wrong password')

  // Challenge 1: the temporary password must be replaced (with the required name).
  await page.getByTestId('signin-password').locator('input').fill(user.temp)
  await page.getByTestId('signin-submit').click()
  await page.getByTestId('challenge-new-password').waitFor({ timeout: 30_000 })
  check('new-password challenge asks for the required name', await page.getByTestId('challenge-attr-name').isVisible())
  await page.getByTestId('challenge-new-password').locator('input').fill(user.next)
  await page.getByTestId('challenge-confirm').locator('input').fill(user.next)
  await page.getByTestId('challenge-attr-name').locator('input').fill('E2E Person')
  await shot('10-signin-new-password.png')
  await audit(page, 'Sign-in: new password challenge')
  await page.getByTestId('challenge-submit').click()

  // Challenge 2: authenticator setup with a QR code; the code comes from the shown secret.
  await page.getByTestId('mfa-qr').waitFor({ timeout: 30_000 })
  const secret = (await page.getByTestId('mfa-secret').innerText()).trim()
  check('authenticator setup shows a QR code and the secret', (await page.locator('[data-testid="mfa-qr"] svg').count()) === 1 && /^[A-Z2-7]{16,}$/.test(secret), secret.replace(/./g, '•'))
  await shot('10-signin-mfa-setup.png')
  await audit(page, 'Sign-in: authenticator (TOTP) set-up')
  await page.getByTestId('challenge-code').locator('input').fill(totp(secret))
  await page.getByTestId('challenge-submit').click()
  await page.getByTestId('user-menu').waitFor({ timeout: 30_000 })
  check('signed in: the user menu names the person', (await page.getByTestId('user-menu').innerText()).includes(user.name))
  check('the session is marked memory-only', await page.getByTestId('memory-only').isVisible())

  // The S3 tab: browse to the folder and pick the file.
  await page.getByTestId('source-tabs').getByText('Amazon S3').click()
  await page.getByTestId('s3-browser').waitFor()
  await page.getByTestId('s3-folder').first().waitFor({ timeout: 30_000 })
  await shot('11-s3-browser.png')
  await audit(page, 'Step 1 Select file: S3 browser')
  await page.getByTestId('s3-folder').first().click()
  await page.getByTestId('s3-file').first().waitFor({ timeout: 30_000 })
  const listing = await page.getByTestId('s3-browser').innerText()
  check('the folder lists the file with its size', listing.includes('customers-sample.csv') && /\d+(\.\d)? (B|KB)/.test(listing), listing.replace(/\s+/g, ' '))
  await page.getByTestId('s3-search').locator('input').fill('cust')
  await page.getByTestId('s3-search-go').click()
  await page.getByTestId('s3-search-clear').waitFor({ timeout: 30_000 })
  check('search by name finds the file', (await page.getByTestId('s3-file').count()) === 1)
  await page.getByTestId('s3-file').first().click()
  await page.getByTestId('file-card').waitFor({ timeout: 30_000 })
  const card = await page.getByTestId('file-card').innerText()
  check('schema discovery ran on the S3 object', card.includes('customers-sample.csv') && card.includes('CSV') && card.includes('7'), card.replace(/\s+/g, ' '))
  check('the S3 pick shows its row count estimate (38)', /Rows \(estimate\)\s*:?\s*38/.test(card), card.replace(/\s+/g, ' '))
  await shot('11-s3-picked.png')
  await audit(page, 'Step 1 Select file: S3 object picked')

  // Through the wizard to Confirm: the preview is read from S3.
  await page.getByTestId('next').click()
  await page.getByTestId('audience').waitFor({ timeout: 5_000 })
  await page.getByTestId('next').click()
  await page.getByTestId('schema-table').waitFor()
  await page.getByTestId('next').click()
  await page.getByTestId('preview-table').waitFor({ timeout: 30_000 })
  const preview = await page.getByTestId('preview-table').innerText()
  check('the Confirm preview from S3 shows the spec hash of janedoe@gmail.com', preview.includes(emailHash))
  await shot('11-s3-confirm.png')

  // "Use this folder" on the prefix of Parquet parts, through the run to the output hashes.
  for (let i = 0; i < 3; i++) await page.keyboard.press('Alt+ArrowLeft') // back to Select file, S3 tab
  await page.getByTestId('s3-browser').waitFor({ timeout: 15_000 })
  await page.getByTestId('s3-crumbs').getByText('e2e-data').click()
  await page.getByTestId('s3-folder').filter({ hasText: 'results' }).click()
  await page.getByTestId('s3-folder').filter({ hasText: 'q-123' }).click()
  await page.getByTestId('s3-file').first().waitFor({ timeout: 30_000 })
  await page.getByTestId('s3-use-folder').click()
  await page.getByTestId('file-parts').waitFor({ timeout: 60_000 })
  const partsCard = (await page.getByTestId('file-card').innerText()).replace(/\s+/g, ' ')
  check('"Use this folder" reads the prefix as 2 Parquet parts (not _SUCCESS)', /2 parts, \d/.test(partsCard) && partsCard.includes('PARQUET') && !partsCard.includes('_SUCCESS'), partsCard)
  check('the Parquet parts\' exact row count (4,750)', /Rows\s*:?\s*4,750/.test(partsCard), partsCard)
  await shot('11-s3-prefix.png')
  await audit(page, 'Step 1 Select file: S3 prefix of Parquet parts')
  await page.getByTestId('next').click()
  await page.getByTestId('audience').locator('input').fill('Clean Rooms q-123')
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
  check('the preview from the Parquet prefix shows the spec hash of janedoe@gmail.com', (await page.getByTestId('preview-table').innerText()).includes(emailHash))
  await page.getByTestId('start-run').click()
  await page.getByTestId('run-success').waitFor({ timeout: 180_000 })
  const runDirs = fs.readdirSync(outDir).filter((d) => d.startsWith('Clean-Rooms-q-123-'))
  const runDir = path.join(outDir, runDirs[0] ?? 'none')
  const manifest = JSON.parse(fs.readFileSync(path.join(runDir, 'manifest.json'), 'utf8'))
  check('the run read every row of both parts (4,500 + 250)', manifest.counters.rows_read === 4750, `rows_read=${manifest.counters.rows_read}`)
  const found = { Email_SHA256: new Set(), Phone_SHA256: new Set() }
  for (const f of manifest.files) {
    const lines = fs.readFileSync(path.join(runDir, f.path), 'utf8').trimEnd().split('\n')
    const header = lines[0].split(',')
    for (const line of lines.slice(1)) line.split(',').forEach((v, i) => v && found[header[i]]?.add(v))
  }
  for (const [col, out] of [['email', found.Email_SHA256], ['phone', found.Phone_SHA256]]) {
    const want = new Set(Array.from({ length: 4500 }, (_, i) => fixtureHash(col, i)).filter(Boolean))
    const missing = [...want].filter((h) => !out.has(h))
    const extra = [...out].filter((h) => !want.has(h))
    check(`the output holds exactly the fixture's ${col} hashes (${want.size})`, missing.length === 0 && extra.length === 0, `missing ${missing.length}, extra ${extra.length}`)
  }
  await shot('11-s3-prefix-result.png')

  // Settings → AWS shows the configuration and that S3 is ready.
  await page.getByText('Settings', { exact: true }).first().click()
  await page.getByTestId('aws-settings').waitFor({ timeout: 15_000 })
  check('Settings → AWS says S3 is ready', await page.getByTestId('aws-ready').isVisible())
  await page.getByTestId('aws-settings').scrollIntoViewIfNeeded()
  await shot('10-signin-settings-aws.png')
  await audit(page, 'Settings (signed in, AWS ready)')

  // Sign out: the S3 tab goes away, offline mode stays.
  await page.getByTestId('user-menu-button').click()
  await page.getByText('Sign out', { exact: true }).waitFor()
  await audit(page, 'User menu (open)')
  await page.getByText('Sign out', { exact: true }).click()
  await page.getByTestId('user-signin').waitFor({ timeout: 15_000 })
  await page.getByText('New run', { exact: true }).first().click()
  await page.getByTestId('new-run').click() // the prefix's run is finished: start a new one
  await page.getByTestId('drop-zone').waitFor({ timeout: 15_000 })
  check('after sign-out the S3 tab is gone and local files still work', (await page.getByTestId('source-tabs').count()) === 0)

  // A returning user: the password, then the authenticator's code (SOFTWARE_TOKEN_MFA).
  await page.getByTestId('user-signin').click()
  await page.getByTestId('signin-view').waitFor({ timeout: 15_000 })
  await page.getByTestId('signin-username').locator('input').fill(user.name)
  await page.getByTestId('signin-password').locator('input').fill(user.next)
  await page.getByTestId('signin-submit').click()
  await page.getByTestId('challenge-code').waitFor({ timeout: 30_000 })
  check('a returning user is asked for the authenticator code, not a new set-up', (await page.getByTestId('mfa-qr').count()) === 0)
  await shot('10-signin-mfa-code.png')
  await audit(page, 'Sign-in: authenticator code (returning user)')
  await page.getByTestId('challenge-code').locator('input').fill(totp(secret))
  await page.getByTestId('challenge-submit').click()
  await page.getByTestId('user-menu').waitFor({ timeout: 30_000 })
  check('the code signs the returning user in', (await page.getByTestId('user-menu').innerText()).includes(user.name))
  check('no errors in the page console', consoleErrors.length === 0, consoleErrors.slice(0, 3).join(' | '))
} catch (e) {
  check('sign-in and S3 run completed', false, String(e?.stack || e))
  // What the window showed when it stopped.
  for (const pg of browser?.contexts().flatMap((c) => c.pages()) ?? []) {
    await pg.screenshot({ path: path.join(shots, '11-signin-failed.png') }).catch(() => {})
  }
} finally {
  if (browser) await browser.close()
  await stopGroups(procs.reverse())
  fs.writeFileSync(path.join(artifacts, 'e2e-signin-results.json'), JSON.stringify(results, null, 2))
  fs.rmSync(work, { recursive: true, force: true })
}
console.log(`e2e signin: ${checks.passed} passed, ${checks.failed} failed`)
process.exit(checks.failed ? 1 : 0)
