import { describe, it, expect, vi, beforeEach } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { mountWith, flush } from './helpers'
import type { Settings, Job } from '../api/types'

vi.mock('../api', () => ({
  api: {
    saveSettings: vi.fn(),
    chooseFolder: vi.fn(async () => '/home/me/Hashed'),
    history: vi.fn(),
    deleteHistory: vi.fn(async () => undefined),
    openFolder: vi.fn(async () => undefined),
    exportReport: vi.fn(async () => ''),
    recentFiles: vi.fn(async () => []),
    onProgress: vi.fn(() => () => {}),
    onDone: vi.fn(() => () => {}),
    onFileDrop: vi.fn(() => () => {}),
  },
}))
import { api } from '../api'
import { useAppStore } from '../stores/app'
import { useWizardStore } from '../stores/wizard'
import SettingsView from '../views/SettingsView.vue'
import HistoryView from '../views/HistoryView.vue'
import Shell from '../components/Shell.vue'

const m = api as unknown as Record<string, ReturnType<typeof vi.fn>>
const settings: Settings = {
  default_region: 'US',
  phone_format: 'digits',
  output_dir: '/home/me/Audience Uploader',
  max_file_mb: 50,
  workers: 0,
  recent_files: [],
  tiktok: { environment: 'production', base_url: '', advertiser_id: '' },
  aws: { credential_source: 'cognito', profile: '', region: '', user_pool_id: '', app_client_id: '', identity_pool_id: '', bucket: '', prefix: '' },
}
const job: Job = {
  id: 1,
  started_at: '2026-11-28T10:00:00Z',
  finished_at: '2026-11-28T10:00:01Z',
  audience: 'Spring buyers',
  input: 'customers.csv',
  input_bytes: 2048,
  format: 'auto',
  layout: 'combined',
  region: 'US',
  phone_format: 'digits',
  mappings: [{ column: 'email', type: 'email' }],
  output_dir: '/out/Spring-buyers',
  status: 'succeeded',
  rows_read: 40,
  rows_written: 35,
  counters: {
    rows_read: 40,
    malformed_rows: 0,
    no_identifier: 3,
    duplicate_rows: 2,
    rows_written: 35,
    types: { email: { valid: 35, prehashed: 1, duplicate: 0, invalid: { invalid_email: 2, empty: 2 } } },
    elapsed_seconds: 0.1,
    rows_per_second: 400,
  },
}

function seed() {
  const pinia = createPinia()
  setActivePinia(pinia)
  const app = useAppStore()
  app.settings = JSON.parse(JSON.stringify(settings))
  app.info = { version: 't', platform: 'linux/amd64', startup_ms: 1, settings, settings_path: '/cfg/settings.json', history_path: '/data/history.db', warnings: [], cores: 2 }
  return pinia
}

describe('views', () => {
  beforeEach(() => {
    vi.clearAllMocks()
    document.body.innerHTML = ''
  })

  it('Settings saves the form, takes a folder from the dialog, and shows where data lives', async () => {
    const pinia = seed()
    m.saveSettings.mockImplementation(async (s: Settings) => s)
    const w = mountWith(SettingsView, pinia)
    expect(w.text()).toContain('/data/history.db')
    await w.find('[data-testid="settings-browse"]').trigger('click')
    await flush()
    await w.find('[data-testid="settings-save"]').trigger('click')
    await flush()
    expect(m.saveSettings).toHaveBeenCalledTimes(1)
    expect(m.saveSettings.mock.calls[0][0]).toMatchObject({ output_dir: '/home/me/Hashed', max_file_mb: 50 })
  })

  it('Settings shows the sentence Go sends back when saving fails', async () => {
    const pinia = seed()
    m.saveSettings.mockRejectedValue(new Error('The settings were not saved: the maximum file size must be between 1 and 250 MB.'))
    const w = mountWith(SettingsView, pinia)
    await w.find('[data-testid="settings-save"]').trigger('click')
    await flush()
    expect(w.find('[data-testid="settings-error"]').text()).toContain('between 1 and 250 MB')
  })

  it('History lists runs with input, mapping, counters and status', async () => {
    seed()
    m.history.mockResolvedValue([job])
    const w = mountWith(HistoryView)
    await flush()
    await flush()
    const t = w.find('[data-testid="history-table"]').text()
    expect(t).toContain('Spring buyers')
    expect(t).toContain('customers.csv')
    expect(t).toContain('email as Email') // the arrow is an SVG; screen readers hear "as"
    expect(t).toContain('40 / 35')
    expect(t).toContain('succeeded')
    expect(t).toContain('/out/Spring-buyers')
    expect(w.find('[data-testid="history-for-1"]').text()).toBe('TikTok') // a run recorded before Meta
    await w.find('.n-data-table-expand-trigger').trigger('click')
    const d = w.find('[data-testid="history-detail"]').text()
    expect(d).toContain('Email')
    expect(d).toContain('not an email address 2, empty 2') // reason labels with their counts
    expect(w.text()).toContain('3 rows without any usable identifier')
  })

  it('History names the destinations of a run for TikTok and Meta', async () => {
    seed()
    m.history.mockResolvedValue([{ ...job, destination: 'tiktok,meta', ad_account: 'act_42' }])
    const w = mountWith(HistoryView)
    await flush()
    await flush()
    expect(w.find('[data-testid="history-for-1"]').text()).toBe('TikTok and Meta')
  })

  it('History says what went wrong when it cannot be read', async () => {
    seed()
    m.history.mockRejectedValue(new Error('The run history is unavailable (disk full).'))
    const w = mountWith(HistoryView)
    await flush()
    await flush()
    expect(w.text()).toContain('The run history is unavailable (disk full).')
  })

  it('leaving the wizard during a run asks first', async () => {
    const pinia = seed()
    m.history.mockResolvedValue([])
    const wiz = useWizardStore()
    wiz.run.state = 'running'
    const w = mountWith(Shell, pinia)
    await flush()
    const app = useAppStore()
    const historyItem = [...w.element.querySelectorAll('.n-menu-item-content')].find((e) => e.textContent?.includes('History')) as HTMLElement
    historyItem.click()
    await flush()
    expect(app.view).toBe('wizard')
    expect(document.body.textContent).toContain('A transform is running')
    const leave = [...document.querySelectorAll('button')].find((b) => b.textContent?.trim() === 'Leave')!
    leave.click()
    await flush()
    expect(app.view).toBe('history')
  })
})
