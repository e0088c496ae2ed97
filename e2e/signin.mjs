// End-to-end: sign-in and the S3 tab in Debian's chromium (playwright-core)
// against `wails dev` under Xvfb. The Cognito stand-in (real SRP proofs)
// holds a user with a temporary password who must also set up an
// authenticator; versitygw serves a bucket with the sample file. The test
// signs in through both challenges (the TOTP code is computed here from the
// secret the screen shows), picks the file in the S3 tab and reaches the
// Confirm step's preview with the spec's hashes. Screenshots go to
// $E2E_ARTIFACTS/screenshots (10-signin-*.png, 11-s3-*.png).
import { spawn } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { createChecks, openPage, setup, sleep, startWailsDev, stopGroups, waitForServer } from './lib.mjs'

const region = 'us-east-1'
const pool = 'us-east-1_E2E'
const client = 'e2e-client'
const identity = 'us-east-1:e2e00000-0000-0000-0000-000000000000'
const { root, chromium, artifacts, shots, work, cfgDir, sample, url } = setup('signin', {
  default_region: 'US', phone_format: 'digits', max_file_mb: 50, workers: 0,
  aws: { credential_source: 'cognito', region, user_pool_id: pool, app_client_id: client, identity_pool_id: identity, bucket: 'e2e-data', prefix: '' },
})
const versitygw = process.env.VERSITYGW || path.join(root, 'build/bin/versitygw')
const standin = path.join(root, 'build/bin/cognito-standin')
const access = 'E2EACCESSKEY'
const secretKey = 'e2e-secret-key'
const user = { name: 'e2e@example.com', temp: 'Temp-Pass-1!', next: 'Chosen-Pass-2!' }
const emailHash = 'd6117306485ed0e50afab3ac871e98f81699151f30281527d63ff5f233656c69' // janedoe@gmail.com (spec)

const results = { checks: [] }
const checks = createChecks(results)
const check = checks.check

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
    s.on('error', reject)
  })
}

async function waitPort(port, proc, name) {
  for (let i = 0; i < 200; i++) {
    if (proc.exitCode !== null) throw new Error(`${name} exited with ${proc.exitCode}; see ${artifacts}/${name}.log`)
    const ok = await new Promise((r) => {
      const c = net.connect(port, '127.0.0.1', () => {
        c.end()
        r(true)
      })
      c.on('error', () => r(false))
    })
    if (ok) return
    await sleep(100)
  }
  throw new Error(`${name} did not listen on ${port}`)
}

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
  const shot = async (name) => {
    await page.waitForFunction(() => !document.querySelector('.n-spin-body, .n-base-loading'), null, { timeout: 15_000 }).catch(() => {})
    await sleep(400)
    await page.screenshot({ path: path.join(shots, name) })
  }
  await page.goto(url)

  // The sign-in screen opens because Cognito is configured; no keychain here.
  await page.getByTestId('signin-view').waitFor({ timeout: 60_000 })
  check('sign-in screen opens when Cognito is configured', true)
  check('memory-only notice without a keychain', (await page.getByTestId('keychain-notice').innerText()).includes('keychain'))
  await page.getByTestId('signin-username').locator('input').fill(user.name)
  await page.getByTestId('signin-password').locator('input').fill('Wrong-Pass-9!')
  await shot('10-signin-form.png')
  await page.keyboard.press('Enter')
  await page.getByTestId('signin-error').waitFor({ timeout: 30_000 })
  const wrong = await page.getByTestId('signin-error').innerText()
  check('a wrong password is said in plain words', wrong.includes('user name or password is incorrect'), wrong)
  await shot('10-signin-error.png')

  // Challenge 1: the temporary password must be replaced (with the required name).
  await page.getByTestId('signin-password').locator('input').fill(user.temp)
  await page.getByTestId('signin-submit').click()
  await page.getByTestId('challenge-new-password').waitFor({ timeout: 30_000 })
  check('new-password challenge asks for the required name', await page.getByTestId('challenge-attr-name').isVisible())
  await page.getByTestId('challenge-new-password').locator('input').fill(user.next)
  await page.getByTestId('challenge-confirm').locator('input').fill(user.next)
  await page.getByTestId('challenge-attr-name').locator('input').fill('E2E Person')
  await shot('10-signin-new-password.png')
  await page.getByTestId('challenge-submit').click()

  // Challenge 2: authenticator setup with a QR code; the code comes from the shown secret.
  await page.getByTestId('mfa-qr').waitFor({ timeout: 30_000 })
  const secret = (await page.getByTestId('mfa-secret').innerText()).trim()
  check('authenticator setup shows a QR code and the secret', (await page.locator('[data-testid="mfa-qr"] svg').count()) === 1 && /^[A-Z2-7]{16,}$/.test(secret), secret.replace(/./g, '•'))
  await shot('10-signin-mfa-setup.png')
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

  // Settings → AWS shows the configuration and that S3 is ready.
  await page.getByText('Settings', { exact: true }).first().click()
  await page.getByTestId('aws-settings').waitFor({ timeout: 15_000 })
  check('Settings → AWS says S3 is ready', await page.getByTestId('aws-ready').isVisible())
  await page.getByTestId('aws-settings').scrollIntoViewIfNeeded()
  await shot('10-signin-settings-aws.png')

  // Sign out: the S3 tab goes away, offline mode stays.
  await page.getByTestId('user-menu-button').click()
  await page.getByText('Sign out', { exact: true }).click()
  await page.getByTestId('user-signin').waitFor({ timeout: 15_000 })
  await page.getByText('New run', { exact: true }).first().click()
  await page.getByTestId('preview-table').waitFor({ timeout: 15_000 })
  for (let i = 0; i < 3; i++) await page.keyboard.press('Alt+ArrowLeft') // back to Select file
  await page.getByTestId('drop-zone').waitFor({ timeout: 15_000 })
  check('after sign-out the S3 tab is gone and local files still work', (await page.getByTestId('source-tabs').count()) === 0)
  check('no errors in the page console', consoleErrors.length === 0, consoleErrors.slice(0, 3).join(' | '))
} catch (e) {
  check('sign-in and S3 run completed', false, String(e?.stack || e))
} finally {
  if (browser) await browser.close()
  await stopGroups(procs.reverse())
  fs.writeFileSync(path.join(artifacts, 'e2e-signin-results.json'), JSON.stringify(results, null, 2))
  fs.rmSync(work, { recursive: true, force: true })
}
console.log(`e2e signin: ${checks.passed} passed, ${checks.failed} failed`)
process.exit(checks.failed ? 1 : 0)
