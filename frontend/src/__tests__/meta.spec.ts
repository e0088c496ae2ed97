import { describe, it, expect, vi, beforeEach } from 'vitest'
import { mountWith, flush } from './helpers'
import type { Settings } from '../api/types'
import type { MetaState } from '../api/meta'

vi.mock('../api', () => ({
  api: { saveSettings: vi.fn() },
  metaApi: {
    state: vi.fn(),
    saveToken: vi.fn(async () => undefined),
    deleteToken: vi.fn(async () => undefined),
    testConnection: vi.fn(),
    openInBrowser: vi.fn(),
  },
  uploadApi: { tiktokState: vi.fn(async () => ({ ready: false, token: {} })), audiences: vi.fn(async () => []) },
}))
import { api, metaApi } from '../api'
import { useAppStore } from '../stores/app'
import { useWizardStore } from '../stores/wizard'
import MetaSettingsCard from '../components/meta/MetaSettingsCard.vue'
import DestinationChoice from '../components/steps/DestinationChoice.vue'
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
