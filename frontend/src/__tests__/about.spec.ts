// Issue 11: the About dialog shows the build (version, commit, date, Go and
// Wails versions) and the bundled components with their licences; the
// footer's version line opens it.
import { describe, it, expect, vi } from 'vitest'
import { defineComponent, h, nextTick, ref } from 'vue'
import { mountWith, flush } from './helpers'
import type { AboutInfo } from '../api/types'

const fakeAbout: AboutInfo = {
  build: { version: '1.4.2', commit: '0123abcd', date: '2026-11-30T12:00:00Z', go: 'go1.24.4', wails: 'v2.10.2' },
  modules: [
    { path: 'github.com/spf13/cobra', version: 'v1.9.1', license: 'Apache-2.0', license_url: 'https://pkg.go.dev/github.com/spf13/cobra@v1.9.1?tab=licenses' },
  ],
}

vi.mock('../api', () => ({
  api: {
    about: vi.fn(async () => fakeAbout),
    hello: vi.fn(async () => ({ version: '1.4.2', warnings: [], settings: {} })),
    recentFiles: vi.fn(async () => []),
    onProgress: vi.fn(() => () => {}),
    onDone: vi.fn(() => () => {}),
    onFileDrop: vi.fn(() => () => {}),
  },
  authApi: {
    restore: vi.fn(async () => null),
    status: vi.fn(async () => ({ signed_in: false })),
    hasClientSecret: vi.fn(async () => false),
  },
}))
import AboutDialog from '../components/AboutDialog.vue'
import { api } from '../api'

function openDialog() {
  const show = ref(true)
  const Host = defineComponent({
    setup: () => () => h(AboutDialog, { show: show.value, 'onUpdate:show': (v: boolean) => (show.value = v) }),
  })
  return { wrapper: mountWith(Host), show }
}

const text = (testid: string) => document.querySelector(`[data-testid="${testid}"]`)?.textContent?.trim()

describe('About dialog', () => {
  it('shows the build information and licences of bundled components', async () => {
    const { wrapper } = openDialog()
    await flush()
    await nextTick()
    const dialog = document.querySelector('[data-testid="about-dialog"]')
    expect(dialog).not.toBeNull()
    expect(dialog!.getAttribute('role')).toBe('dialog')
    expect(dialog!.getAttribute('aria-modal')).toBe('true')
    const title = document.getElementById(dialog!.getAttribute('aria-labelledby')!)
    expect(title?.textContent).toBe('About Audience Uploader')

    expect(text('about-version')).toBe('1.4.2')
    expect(text('about-commit')).toBe('0123abcd')
    expect(text('about-date')).toBe('2026-11-30T12:00:00Z')
    expect(text('about-go')).toBe('go1.24.4')
    expect(text('about-wails')).toBe('v2.10.2')

    // npm rows come from package.json and package-lock.json at build time
    const npmRows = [...document.querySelectorAll('[data-testid="about-npm"] tbody tr')].map((r) =>
      [...r.querySelectorAll('td')].map((td) => td.textContent?.trim()),
    )
    const vue = npmRows.find((r) => r[0] === 'vue')
    expect(vue?.[1]).toMatch(/^\d+\.\d+\.\d+/)
    expect(vue?.[2]).toBe('MIT')
    expect(npmRows.map((r) => r[0])).toContain('naive-ui')

    const goRow = document.querySelector('[data-testid="about-go-modules"] tbody tr')
    expect(goRow?.textContent).toContain('github.com/spf13/cobra')
    expect(goRow?.textContent).toContain('v1.9.1')
    expect([...goRow!.querySelectorAll('td')].map((td) => td.textContent?.trim())[2]).toBe('Apache-2.0')
    expect(goRow?.textContent).toContain('https://pkg.go.dev/github.com/spf13/cobra@v1.9.1?tab=licenses')
    wrapper.unmount()
  })

  it('has a labelled close button that closes it', async () => {
    const { wrapper, show } = openDialog()
    await flush()
    const close = document.querySelector<HTMLButtonElement>('[data-testid="about-close"]')
    expect(close?.getAttribute('aria-label')).toBe('Close the About dialog')
    close!.click()
    await nextTick()
    expect(show.value).toBe(false)
    wrapper.unmount()
  })

  it('closes on Esc', async () => {
    const { wrapper, show } = openDialog()
    await flush()
    document.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', code: 'Escape', bubbles: true }))
    await nextTick()
    expect(show.value).toBe(false)
    wrapper.unmount()
  })

  it('opens from the footer version line', async () => {
    const { useAppStore } = await import('../stores/app')
    const Shell = (await import('../components/Shell.vue')).default
    const wrapper = mountWith(Shell)
    const app = useAppStore()
    app.info = { version: '1.4.2', platform: 'linux', startup_ms: 1, settings: {} as never, settings_path: '', history_path: '', warnings: [], cores: 2 }
    await flush()
    const opener = wrapper.find('[data-testid="about-open"]')
    expect(opener.text()).toContain('About Audience Uploader')
    await opener.trigger('click')
    await flush()
    expect(document.querySelector('[data-testid="about-dialog"]')).not.toBeNull()
    expect(api.about).toHaveBeenCalled()
    wrapper.unmount()
  })
})
