import { describe, it, expect, vi, beforeEach } from 'vitest'
import { defineComponent, h } from 'vue'
import { mountWith, flush } from './helpers'
import type { Settings } from '../api/types'
import type { MetaState } from '../api/meta'

const handlers = vi.hoisted(() => ({}) as { event?: (e: unknown) => void; done?: (d: unknown) => void })
vi.mock('../api', () => ({
  api: { saveSettings: vi.fn() },
  metaApi: {
    state: vi.fn(),
    saveToken: vi.fn(async () => undefined),
    deleteToken: vi.fn(async () => undefined),
    testConnection: vi.fn(),
    openInBrowser: vi.fn(),
    startUpload: vi.fn(async () => undefined),
    cancelUpload: vi.fn(async () => true),
    audienceStatus: vi.fn(),
    onEvent: vi.fn((cb: unknown) => {
      handlers.event = cb as (e: unknown) => void
      return () => {}
    }),
    onDone: vi.fn((cb: unknown) => {
      handlers.done = cb as (d: unknown) => void
      return () => {}
    }),
  },
  audiencesApi: { list: vi.fn() },
  uploadApi: { tiktokState: vi.fn(async () => ({ ready: false, token: {} })), audiences: vi.fn(async () => []) },
}))
import { api, audiencesApi, metaApi } from '../api'
import { useAppStore } from '../stores/app'
import { useWizardStore } from '../stores/wizard'
import MetaSettingsCard from '../components/meta/MetaSettingsCard.vue'
import DestinationChoice from '../components/steps/DestinationChoice.vue'
import MetaUploadPanel from '../components/meta/MetaUploadPanel.vue'
import MetaAudiencePicker from '../components/meta/MetaAudiencePicker.vue'
import RunStep from '../components/steps/RunStep.vue'
import { manifest } from './helpers'
import { createPinia, setActivePinia } from 'pinia'

const m = metaApi as unknown as Record<string, ReturnType<typeof vi.fn>>
const save = api.saveSettings as unknown as ReturnType<typeof vi.fn>
const ACT = 'act_100000000000001'
const TOKEN = 'EAAB-secret-system-user-token'
const settings: Settings = {
  default_region: 'US',
  phone_format: 'digits',
  output_dir: '/out',
  max_file_mb: 50,
  workers: 0,
  recent_files: [],
  tiktok: { environment: 'production', base_url: '', advertiser_id: '' },
  meta: { ad_account: '', base_url: '' },
  aws: { credential_source: 'cognito', profile: '', region: '', user_pool_id: '', app_client_id: '', identity_pool_id: '', bucket: '', prefix: '' },
}
const state = (over: Partial<MetaState>): MetaState => ({ ad_account: '', base_url: 'https://graph.facebook.com/v25.0/', token_saved: false, token_from_env: false, ready: false, ...over })
const byId = (id: string) => document.body.querySelector(`[data-testid="${id}"]`) as HTMLElement | null
const settle = async () => {
  for (let i = 0; i < 6; i++) await flush()
}
function type(el: HTMLElement | null, value: string) {
  const input = (el?.querySelector('input') ?? el) as HTMLInputElement
  input.value = value
  input.dispatchEvent(new Event('input'))
}
function mount(comp: object) {
  const pinia = createPinia()
  setActivePinia(pinia)
  useAppStore().settings = JSON.parse(JSON.stringify(settings))
  return mountWith(comp, pinia)
}

vi.setConfig({ testTimeout: 30000 })

describe('Settings > Meta', () => {
  beforeEach(() => {
    document.body.innerHTML = ''
    vi.clearAllMocks()
    save.mockImplementation(async (s: Settings) => s)
  })

  it('refuses an ad account without act_ and says how to write it', async () => {
    m.state.mockResolvedValue(state({}))
    mount(MetaSettingsCard)
    await settle()
    type(byId('meta-account'), '1234567890')
    await settle()
    byId('meta-save')!.click()
    await settle()
    expect(byId('meta-error')!.textContent).toContain('Write the ad account as act_1234567890')
    expect(save).not.toHaveBeenCalled()
  })

  it('saves the account in the settings and the token in the keychain, then never shows the token', async () => {
    m.state.mockResolvedValueOnce(state({})).mockResolvedValue(state({ ad_account: ACT, token_saved: true, ready: true }))
    mount(MetaSettingsCard)
    await settle()
    type(byId('meta-account'), ACT)
    type(byId('meta-token'), TOKEN)
    await settle()
    byId('meta-save')!.click()
    await settle()
    expect(save.mock.calls[0][0].meta).toEqual({ ad_account: ACT, base_url: '' })
    expect(JSON.stringify(save.mock.calls[0][0])).not.toContain(TOKEN)
    expect(m.saveToken).toHaveBeenCalledWith(ACT, TOKEN)
    expect((byId('meta-token')!.querySelector('input') as HTMLInputElement).value).toBe('')
    expect(byId('meta-token-status')!.textContent).toContain(`saved in the OS keychain for ${ACT}`)
    expect(document.body.innerHTML).not.toContain(TOKEN)
  })

  it('says where to accept the Custom Audience Terms when the test finds them not accepted', async () => {
    const url = 'https://business.facebook.com/ads/manage/customaudiences/tos/?act=100000000000001'
    m.state.mockResolvedValue(state({ ad_account: ACT, token_saved: true, ready: true }))
    m.testConnection.mockResolvedValue({
      ad_account: ACT,
      base_url: 'http://127.0.0.1:9/v25.0/',
      audiences: 0,
      terms_accepted: false,
      terms_url: url,
      terms_advice: `The Custom Audience Terms are not accepted for ${ACT}, so Meta refuses uploads to it: a person with a role on the ad account must open ${url}, accept the terms, then test again.`,
    })
    mount(MetaSettingsCard)
    useAppStore().settings!.meta = { ad_account: ACT, base_url: '' }
    await settle()
    byId('meta-test')!.click()
    await settle()
    expect(byId('meta-test-ok')!.textContent).toContain('0 audiences')
    expect(byId('meta-terms')!.textContent).toContain('accept the terms, then test again')
    expect(byId('meta-terms-url')!.textContent).toBe(url)
    byId('meta-terms-open')!.click()
    expect(m.openInBrowser).toHaveBeenCalledWith(url)
  })

  it('shows why the connection test failed, as a sentence', async () => {
    m.state.mockResolvedValue(state({ ad_account: ACT, token_saved: true, ready: true }))
    m.testConnection.mockRejectedValue(new Error('The connection test failed: Meta did not accept the token (Invalid OAuth access token). Save a new system-user token in Settings > Meta, then try again.'))
    mount(MetaSettingsCard)
    useAppStore().settings!.meta = { ad_account: ACT, base_url: '' }
    await settle()
    byId('meta-test')!.click()
    await settle()
    expect(byId('meta-test-error')!.textContent).toContain('Save a new system-user token')
  })
})

describe('Step 2 destinations', () => {
  beforeEach(() => {
    document.body.innerHTML = ''
    vi.clearAllMocks()
  })

  it('disables Meta with a sentence while Settings has no Meta account', async () => {
    m.state.mockResolvedValue(state({}))
    mount(DestinationChoice)
    await settle()
    const meta = byId('dest-meta')!.querySelector('.n-checkbox') ?? byId('dest-meta')!
    expect(meta.className).toContain('disabled')
    expect(byId('dest-meta-missing')!.textContent).toContain('enter the ad account and a system-user token in Settings > Meta')
    byId('dest-open-meta-settings')!.click()
    expect(useAppStore().view).toBe('settings')
  })

  it('chooses TikTok, Meta or both, and no destination blocks the next step', async () => {
    m.state.mockResolvedValue(state({ ad_account: ACT, token_saved: true, ready: true }))
    mount(DestinationChoice)
    await settle()
    const wiz = useWizardStore()
    expect(byId('dest-meta-missing')).toBeNull()
    byId('dest-meta')!.click()
    await settle()
    expect(wiz.destinations).toEqual(['tiktok', 'meta'])
    expect(byId('dest-meta-note')!.textContent).toContain('not hashed')
    byId('dest-tiktok')!.click()
    await settle()
    byId('dest-meta')!.click()
    await settle()
    expect(wiz.destinations).toEqual([])
    expect(byId('dest-error')!.textContent).toContain('Choose where the audience goes')
    expect(wiz.destinationError).not.toBe('')
  })
})

describe('Step 5 upload to Meta', () => {
  const metaManifest = {
    ...manifest,
    files: [{ path: 'meta-rows.tsv', calculate_type: '', platform: 'meta' as const, schema: ['EMAIL', 'PHONE'], rows: 30, bytes: 4000, md5: 'ab' }],
    counters: { ...manifest.counters, rows_written: 0 },
    meta: { schema: ['EMAIL', 'PHONE'], no_identifier: 2, duplicate_rows: 1, rows_written: 30, keys: null },
  }
  function succeeded() {
    const wiz = useWizardStore()
    wiz.audience = 'Spring buyers'
    wiz.run = { state: 'succeeded', jobId: 7, outputDir: '/out/spring', progress: null, manifest: metaManifest, error: '', events: 0 }
  }
  beforeEach(() => {
    document.body.innerHTML = ''
    vi.clearAllMocks()
    m.state.mockResolvedValue(state({ ad_account: ACT, token_saved: true, ready: true }))
  })

  it('a run for Meta alone shows Meta’s counters and its upload, not TikTok’s', async () => {
    const pinia = createPinia()
    setActivePinia(pinia)
    succeeded()
    mountWith(RunStep, pinia)
    await settle()
    expect(byId('run-success')!.textContent).toContain('30 rows written')
    expect(byId('run-success')!.textContent).toContain('meta-rows.tsv')
    expect(byId('stat-meta-written')!.textContent).toContain('30')
    expect(byId('meta-upload-card')).not.toBeNull()
    expect(byId('upload-card')).toBeNull()
    expect(byId('files-table')!.textContent).toContain('Meta: EMAIL, PHONE')
  })

  it('uploads to a new audience, then shows its id, size and status in words', async () => {
    const pinia = createPinia()
    setActivePinia(pinia)
    succeeded()
    mountWith(MetaUploadPanel, pinia)
    await settle()
    expect(byId('meta-upload-summary')!.textContent).toContain('Create the Meta audience “Spring buyers”')
    expect(byId('meta-upload-summary')!.textContent).toContain('30 rows (EMAIL, PHONE)')
    byId('meta-upload-start')!.click()
    await settle()
    expect(m.startUpload).toHaveBeenCalledWith({ output_dir: '/out/spring', audience_name: 'Spring buyers', audience_id: '', action: '' })
    expect(byId('meta-upload-running')).not.toBeNull()
    handlers.done!({ job_id: 'app-1', cancelled: false, result: { ad_account: ACT, audience_id: '23850000000000777', rows: 30, status: 'too small to be used yet', size: 'fewer than 1,000', ready: false } })
    await settle()
    expect(byId('meta-upload-success')!.textContent).toContain('Uploaded to Meta: 30 rows')
    expect(byId('meta-upload-audience-id')!.textContent).toBe('23850000000000777')
    expect(byId('meta-upload-size')!.textContent).toBe('fewer than 1,000')
    expect(byId('meta-upload-status')!.textContent).toBe('too small to be used yet')
  })

  it('says why the upload to Meta failed and offers to upload again', async () => {
    const pinia = createPinia()
    setActivePinia(pinia)
    succeeded()
    mountWith(MetaUploadPanel, pinia)
    await settle()
    byId('meta-upload-start')!.click()
    await settle()
    const msg = 'The upload to Meta did not finish: Meta says the Custom Audience Terms are not accepted for this ad account. A person with a role on the ad account must accept them (Test connection in Settings > Meta gives the address), then try again. Uploading again resumes it: batches Meta already has are not sent again.'
    handlers.done!({ job_id: 'app-1', cancelled: false, error: msg })
    await settle()
    expect(byId('meta-upload-failed')!.textContent).toContain('Custom Audience Terms are not accepted')
    byId('meta-upload-retry')!.click()
    await settle()
    expect(m.startUpload).toHaveBeenCalledTimes(2)
  })

  it('without a Meta account it says how to set one up', async () => {
    m.state.mockResolvedValue(state({}))
    const pinia = createPinia()
    setActivePinia(pinia)
    succeeded()
    mountWith(MetaUploadPanel, pinia)
    await settle()
    expect(byId('meta-upload-not-configured')!.textContent).toContain('Settings > Meta')
  })
})

describe('Step 2 Meta audience', () => {
  const aud = {
    platform: 'meta' as const, id: '23850000000000101', name: 'Meta buyers', type: 'Customer list', calculate_type: '', matched_users: 0,
    status: 'not_ready' as const, status_text: 'too small to be used yet', size_lower: 40, size_upper: 40, size: 'fewer than 1,000',
    created: '', shared: false, lookalike: false, syncs: [],
  }
  beforeEach(() => {
    document.body.innerHTML = ''
    vi.clearAllMocks()
    m.state.mockResolvedValue(state({ ad_account: ACT, token_saved: true, ready: true }))
    ;(audiencesApi.list as unknown as ReturnType<typeof vi.fn>).mockResolvedValue({ advertiser_id: '', ad_account: ACT, audiences: [aud] })
  })

  it('lists the ad account’s audiences; choosing one and Replace asks before uploading into it', async () => {
    const pinia = createPinia()
    setActivePinia(pinia)
    // Bound to the wizard as Step 2 binds it.
    const Bound = defineComponent(() => {
      const w = useWizardStore()
      return () =>
        h(MetaAudiencePicker, {
          targetId: w.metaTargetId,
          'onUpdate:targetId': (v: string) => (w.metaTargetId = v),
          action: w.metaAction,
          'onUpdate:action': (v: 'ADD' | 'REMOVE' | 'REPLACE') => (w.metaAction = v),
        })
    })
    mountWith(Bound, pinia)
    await settle()
    byId('meta-audience-existing')!.click()
    await settle()
    const wiz = useWizardStore()
    expect(wiz.metaTargetId).toBe('23850000000000101')
    expect(byId('meta-audience-select')!.textContent).toContain('Meta buyers (fewer than 1,000; too small to be used yet)')
    byId('meta-action-REPLACE')!.click()
    await settle()
    expect(wiz.metaAction).toBe('REPLACE')
    document.body.innerHTML = ''
    wiz.audience = 'Spring buyers'
    wiz.run = { state: 'succeeded', jobId: 7, outputDir: '/out/spring', progress: null, manifest: { ...manifest, meta: { schema: ['EMAIL'], no_identifier: 0, duplicate_rows: 0, rows_written: 30, keys: null } }, error: '', events: 0 }
    mountWith(MetaUploadPanel, pinia)
    await settle()
    expect(byId('meta-upload-summary')!.textContent).toContain('Replace the existing Meta audience “Meta buyers”')
    byId('meta-upload-start')!.click()
    await settle()
    expect(m.startUpload).not.toHaveBeenCalled()
    const dlg = document.body.querySelector('.n-dialog') as HTMLElement
    expect(dlg.textContent).toContain('Everyone now in “Meta buyers” is replaced')
    ;(Array.from(dlg.querySelectorAll('button')).find((b) => b.textContent?.trim() === 'Replace') as HTMLElement).click()
    await settle()
    expect(m.startUpload).toHaveBeenCalledWith({ output_dir: '/out/spring', audience_name: '', audience_id: '23850000000000101', action: 'REPLACE' })
  })
})
