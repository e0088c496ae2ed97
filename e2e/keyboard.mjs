// End-to-end: one whole offline run by keyboard alone, in Debian's chromium
// against `wails dev` under Xvfb. Only page.keyboard is used (Tab, Shift+Tab,
// Enter, Space, arrow keys and typing; no clicks): Step 1 opens the sample by
// its typed path, Step 2 names the audience and picks the layout with the
// arrow keys, Step 3 reveals a column's samples and checks a PII switch,
// Step 4 starts the transform and Step 5 shows the result. At each stop the
// focused control must show a focus indicator (an outline or a box shadow on
// it or on the field around it).
import fs from 'node:fs'
import path from 'node:path'
import { audit, createChecks, openPage, setup, shot, startWailsDev, stopGroups, waitForServer } from './lib.mjs'

const { root, chromium, artifacts, work, outDir, cfgDir, sample, url } = setup('keyboard', {})
const results = { checks: [] }
const checks = createChecks(results)
const check = checks.check

// What has focus: its test id (or its closest ancestor's), role, label and text.
function describeFocus(page) {
  return page.evaluate(async () => {
    // Naive UI marks focus with a class set on the next render, then eases
    // the ring in (0.3 s): compare the settled looks.
    const settle = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 400))))
    const el = document.activeElement
    if (!el || el === document.body) return { testid: '', text: '', tag: 'body' }
    const owner = el.closest('[data-testid]')
    return {
      testid: owner?.getAttribute('data-testid') ?? '',
      tag: el.tagName.toLowerCase(),
      role: el.getAttribute('role') ?? '',
      label: el.getAttribute('aria-label') ?? '',
      text: (el.innerText || el.value || '').trim().slice(0, 60),
    }
  })
}

// tab presses Tab (or Shift+Tab) until what has focus matches want, at most
// max times; it fails naming where focus went when it never does.
async function tab(page, want, { back = false, max = 60 } = {}) {
  const seen = []
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab')
    const f = await describeFocus(page)
    if (want(f)) return f
    seen.push(f.testid || f.label || f.text || f.tag)
  }
  throw new Error(`${back ? 'Shift+Tab' : 'Tab'} never reached the control; focus went through: ${seen.join(' → ')}`)
}
const byTestId = (id) => (f) => f.testid === id
const byText = (text) => (f) => f.text === text || f.label === text

// focusShown says whether keyboard focus is visible on the focused control:
// the outline, box shadow or border colour of the control or of an element
// around or inside it (Naive UI draws an input's ring on its wrapper and a
// radio's on its dot) differs between focused and not, on an element that
// has a size. The control is blurred for the comparison and focused again
// (focus() after keyboard use keeps :focus-visible).
function focusShown(page) {
  return page.evaluate(async () => {
    // Naive UI marks focus with a class set on the next render, then eases
    // the ring in (0.3 s): compare the settled looks.
    const settle = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 400))))
    const el = document.activeElement
    if (!el || el === document.body) return { ok: false, how: 'nothing has focus' }
    let top = el
    for (let i = 0; i < 3 && top.parentElement; i++) top = top.parentElement
    const nodes = [top, ...top.querySelectorAll('*')].slice(0, 300)
    const look = () =>
      nodes.map((n) => {
        const s = getComputedStyle(n)
        const r = n.getBoundingClientRect()
        return { n, sized: r.width > 0 && r.height > 0 && s.opacity !== '0', outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0 ? `${s.outlineWidth} ${s.outlineStyle} ${s.outlineColor}` : '', shadow: s.boxShadow, border: s.borderColor }
      })
    await settle()
    const focused = look()
    el.blur()
    await settle()
    const blurred = look()
    el.focus()
    await settle()
    for (let i = 0; i < nodes.length; i++) {
      const f = focused[i]
      const b = blurred[i]
      if (!f.sized) continue
      const what = f.outline !== b.outline && f.outline ? `outline ${f.outline}` : f.shadow !== b.shadow && f.shadow !== 'none' ? `box-shadow ${f.shadow}` : f.border !== b.border ? `border ${b.border} -> ${f.border}` : ''
      if (what) return { ok: true, how: `${what} on ${f.n.tagName.toLowerCase()}.${String(f.n.className).split(' ')[0]}` }
    }
    return { ok: false, how: `nothing changes around ${el.tagName.toLowerCase()}.${String(el.className).split(' ')[0]} when it takes focus` }
  })
}
async function checkFocusShown(page, where) {
  const f = await focusShown(page)
  check(`visible focus indicator on ${where}`, f.ok, f.how)
}

const { proc: dev, logPath: devLog } = startWailsDev({ root, artifacts, work, cfgDir }, 'wails-dev-keyboard')

let browser
try {
  await waitForServer(dev, url, 420_000, devLog)
  const opened = await openPage(chromium)
  browser = opened.browser
  const { page, consoleErrors } = opened
  await page.goto(url)
  await page.getByText('Choose a customer file').waitFor({ timeout: 60_000 })

  // Step 1: the path typed into the path field, opened with Enter.
  await tab(page, byTestId('path-input'))
  await checkFocusShown(page, 'the file path field')
  await page.keyboard.type(sample)
  await page.keyboard.press('Enter')
  await page.getByTestId('file-card').waitFor({ timeout: 30_000 })
  check('Step 1: the typed path opens the file', (await page.getByTestId('file-card').innerText()).includes('customers-sample.csv'))
  const next1 = await tab(page, byTestId('next'))
  await checkFocusShown(page, 'Next')
  check('Step 1: Next is reached by Tab', next1.testid === 'next')
  await page.keyboard.press('Enter')

  // Step 2: the audience name typed, the layout chosen with the arrow keys.
  await page.getByTestId('audience').waitFor({ timeout: 10_000 })
  await tab(page, byTestId('audience'), { back: true })
  await checkFocusShown(page, 'the audience name field')
  await page.keyboard.press('Control+A')
  await page.keyboard.type('Keyboard buyers')
  check('Step 2: the audience name is typed', (await page.getByTestId('audience').locator('input').inputValue()) === 'Keyboard buyers')
  await tab(page, (f) => f.testid === 'layout-combined' || f.testid === 'layout-separate')
  await checkFocusShown(page, 'the output layout radio')
  const layoutBefore = await describeFocus(page)
  await page.keyboard.press(layoutBefore.testid === 'layout-combined' ? 'ArrowDown' : 'ArrowUp')
  await page.keyboard.press(layoutBefore.testid === 'layout-combined' ? 'ArrowUp' : 'ArrowDown')
  if ((await describeFocus(page)).testid !== 'layout-combined') await page.keyboard.press('ArrowUp')
  await page.keyboard.press('Space')
  check('Step 2: the arrow keys choose the Combined layout', await page.getByTestId('layout-combined').locator('input').isChecked())
  await tab(page, byTestId('next'))
  await page.keyboard.press('Enter')

  // Step 3: reveal the email samples with Enter, and a PII switch reached and kept on.
  await page.getByTestId('schema-table').waitFor({ timeout: 10_000 })
  await tab(page, byText('Reveal samples of email'))
  await checkFocusShown(page, 'the reveal-samples button')
  await page.keyboard.press('Enter')
  await page.getByRole('button', { name: 'Hide samples of email' }).waitFor({ timeout: 5_000 })
  check('Step 3: Enter on the eye button reveals the samples', (await page.getByTestId('samples-email').innerText()).includes('@'))
  await page.keyboard.press('Enter')
  const sw = await tab(page, byTestId('pii-first_name'))
  await checkFocusShown(page, 'a PII switch')
  await page.keyboard.press('Space')
  const on = await page.getByTestId('pii-first_name').getAttribute('aria-checked')
  await page.keyboard.press('Space')
  const off = await page.getByTestId('pii-first_name').getAttribute('aria-checked')
  check('Step 3: Space toggles a PII switch', sw.testid === 'pii-first_name' && on === 'true' && off === 'false', `${on} then ${off}`)
  await tab(page, byTestId('next'))
  await page.keyboard.press('Enter')

  // Step 4: Start transform, reached by Tab.
  await page.getByTestId('preview-table').waitFor({ timeout: 30_000 })
  await tab(page, byTestId('start-run'))
  await checkFocusShown(page, 'Start transform')
  await page.keyboard.press('Enter')

  // Step 5: the result, and its buttons reachable.
  await page.getByTestId('run-success').waitFor({ timeout: 120_000 })
  await page.getByTestId('files-table').waitFor()
  const result = await page.getByTestId('run-success').innerText()
  check('Step 5: the run succeeds and says how many rows it wrote', /rows written/.test(result), result.replace(/\s+/g, ' '))
  const said = await page.getByTestId('run-announce').innerText()
  check('the live region announces the outcome', /^Transform finished: [\d,]+ rows written\.$/.test(said) && (await page.getByTestId('run-announce').getAttribute('aria-live')) === 'polite', said)
  const runDirs = fs.readdirSync(outDir)
  check('the output folder is named after the typed audience', runDirs.length === 1 && runDirs[0].startsWith('Keyboard-buyers-'), runDirs.join(','))
  await tab(page, byTestId('new-run'))
  await checkFocusShown(page, 'Start a new run')
  await shot(page, '13-keyboard-result.png')
  await audit(page, 'Step 5 Run result (reached by keyboard)')
  check('no errors in the page console', consoleErrors.length === 0, consoleErrors.slice(0, 3).join(' | '))
} catch (e) {
  check('keyboard run completed', false, String(e?.stack || e))
} finally {
  if (browser) await browser.close()
  await stopGroups([dev])
  fs.writeFileSync(path.join(artifacts, 'e2e-keyboard-results.json'), JSON.stringify(results, null, 2))
  fs.rmSync(work, { recursive: true, force: true })
}
console.log(`e2e keyboard: ${checks.passed} passed, ${checks.failed} failed`)
process.exit(checks.failed ? 1 : 0)
