// Syncs to Meta in the app (issue 21): the form's rules, New sync's
// destination choice and Meta audience picker, Save as sync after an
// upload to both platforms, and a Meta sync's status in words.
import { describe, it, expect, vi, beforeEach } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { defineComponent, h } from 'vue'
import { mountWith, flush } from './helpers'
import type { SyncDefinition, SyncRow } from '../api/syncs'
import type { MetaState } from '../api/meta'

vi.mock('../api', () => ({
  syncsApi: {
    list: vi.fn(),
    get: vi.fn(),
    save: vi.fn(async (d: SyncDefinition) => ({ definition: d })),
    remove: vi.fn(async () => undefined),
    plan: vi.fn(),
    run: vi.fn(),
    recreate: vi.fn(async () => ({})),
    onProgress: vi.fn(() => () => {}),
  },
  metaApi: { state: vi.fn(), onEvent: vi.fn(() => () => {}), onDone: vi.fn(() => () => {}) },
  audiencesApi: { list: vi.fn() },
}))
import { audiencesApi, metaApi, syncsApi } from '../api'
import SyncsView from '../views/SyncsView.vue'
import SaveAsSyncButton from '../components/syncs/SaveAsSyncButton.vue'
import { useWizardStore } from '../stores/wizard'
import { useMetaStore } from '../stores/meta'
import { useAppStore } from '../stores/app'
import { syncFormProblem, syncNameFor, type SyncFormState } from '../lib/syncs'

vi.setConfig({ testTimeout: 30000 })

const s = syncsApi as unknown as Record<string, ReturnType<typeof vi.fn>>
const m = metaApi as unknown as Record<string, ReturnType<typeof vi.fn>>
const listAudiences = audiencesApi.list as unknown as ReturnType<typeof vi.fn>
const ACT = 'act_100000000000001'
const META_AUD = '23850000000000101'
const metaState = (over: Partial<MetaState> = {}): MetaState => ({ ad_account: ACT, base_url: '', token_saved: true, token_from_env: false, ready: true, ...over })
const metaAudience = {
  platform: 'meta' as const, id: META_AUD, name: 'Meta buyers', type: 'Customer list', calculate_type: '', matched_users: 0,
  status: 'not_ready' as const, status_text: 'too small to be used yet', size_lower: 40, size_upper: 40, size: 'fewer than 1,000',
  created: '', shared: false, lookalike: false, syncs: [],
}
const byId = (id: string) => document.body.querySelector(`[data-testid="${id}"]`) as HTMLElement | null
const settle = async () => {
  for (let i = 0; i < 6; i++) await flush()
}
function type(el: HTMLElement | null, value: string) {
  const input = (el?.querySelector('input, textarea') ?? el) as HTMLInputElement
  input.value = value
  input.dispatchEvent(new Event('input'))
}
const radioDisabled = (id: string) => !!byId(id)?.closest('.n-radio')?.classList.contains('n-radio--disabled') || byId(id)?.classList.contains('n-radio--disabled')

describe('the sync form’s rules', () => {
  const base: SyncFormState = {
    name: 'crm-meta', input: '/data/crm.csv', destination: 'meta', mappings: [{ column: 'email', type: 'email' }],
    target: 'name', audienceId: '', audienceName: 'CRM', metaReady: true,
  }
  it('accepts a complete Meta sync, new or existing', () => {
    expect(syncFormProblem(base)).toBe('')
    expect(syncFormProblem({ ...base, target: 'id', audienceId: META_AUD })).toBe('')
  })
  it('refuses Meta until Settings > Meta is set up, and says where', () => {
    expect(syncFormProblem({ ...base, metaReady: false })).toContain('Settings > Meta')
    expect(syncFormProblem({ ...base, destination: 'tiktok', metaReady: false })).toBe('')
  })
  it('asks for the Meta audience or a name for a new one', () => {
    expect(syncFormProblem({ ...base, target: 'id', audienceId: '' })).toBe('Choose a Meta audience of the ad account, or choose a new audience.')
    expect(syncFormProblem({ ...base, destination: 'tiktok', target: 'id', audienceId: 'x' })).toBe('Give the audience id (digits), or choose a new audience.')
    expect(syncFormProblem({ ...base, audienceName: ' ' })).toBe('Name the audience the first run creates.')
  })
  it('leaves Meta’s own refusals (a mobile advertiser id) to the engine’s sentence', () => {
    expect(syncFormProblem({ ...base, mappings: [{ column: 'idfa', type: 'idfa' }] })).toBe('')
  })
  it('names the syncs of a list uploaded to both platforms apart', () => {
    expect(syncNameFor('CRM weekly', 'meta', true)).toBe('CRM-weekly-meta')
    expect(syncNameFor('CRM weekly', 'tiktok', true)).toBe('CRM-weekly-tiktok')
    expect(syncNameFor('CRM weekly', 'meta', false)).toBe('CRM-weekly')
    expect(syncNameFor('x'.repeat(80), 'tiktok', true)).toHaveLength(64)
  })
})

describe('New sync in the Syncs view', () => {
  beforeEach(() => {
    document.body.innerHTML = ''
    vi.clearAllMocks()
    s.list.mockResolvedValue({ syncs: [] })
    listAudiences.mockResolvedValue({ advertiser_id: '', ad_account: ACT, audiences: [metaAudience] })
  })

  it('offers Meta only once Settings > Meta is set up, with a sentence and a way there', async () => {
    m.state.mockResolvedValue(metaState({ ad_account: '', token_saved: false, ready: false }))
    const pinia = createPinia()
    mountWith(SyncsView, pinia)
    await settle()
    byId('new-sync')!.click()
    await settle()
    expect(radioDisabled('sync-dest-meta')).toBe(true)
    expect(byId('sync-meta-missing')!.textContent).toContain('Settings > Meta')
    byId('sync-open-meta-settings')!.click()
    await settle()
    expect(useAppStore().view).toBe('settings')
  })

  it('saves a Meta sync into an audience chosen in the ad account’s picker, naming no TikTok advertiser', async () => {
    m.state.mockResolvedValue(metaState())
    mountWith(SyncsView)
    await settle()
    byId('new-sync')!.click()
    await settle()
    expect(radioDisabled('sync-dest-meta')).toBe(false)
    ;(byId('sync-dest-meta')!.querySelector('input') as HTMLInputElement).click()
    await settle()
    expect(byId('sync-ad-account')!.textContent).toBe(ACT)
    expect(byId('sync-meta-note')!.textContent).toContain('Meta takes mobile advertiser IDs unhashed')
    expect(byId('meta-audience-action')).toBeNull() // a sync's mode says what a run does
    type(byId('sync-name'), 'crm-meta')
    type(byId('sync-input'), '/data/crm.csv')
    type(byId('sync-mappings'), 'email=email\nphone=phone')
    byId('meta-audience-existing')!.click()
    await settle()
    expect(byId('meta-audience-select')!.textContent).toContain('Meta buyers (fewer than 1,000; too small to be used yet)')
    byId('sync-save')!.click()
    await settle()
    const d = s.save.mock.calls[0][0] as SyncDefinition
    expect(d).toMatchObject({ name: 'crm-meta', destination: 'meta', audience_id: META_AUD, audience_name: '', advertiser_id: '' })
    expect(d.ad_account ?? '').toBe('') // the one in Settings > Meta
    expect(d.mappings).toEqual([
      { column: 'email', type: 'email' },
      { column: 'phone', type: 'phone' },
    ])
  })

  it('shows the engine’s sentence when a Meta sync maps a mobile advertiser id', async () => {
    m.state.mockResolvedValue(metaState())
    const refusal =
      'The sync was not saved: sync crm-meta: column "idfa" is a mobile advertiser id (idfa): a sync to Meta keeps only hashes, and Meta takes mobile advertiser IDs unhashed, so a sync cannot send them. Correct it in the form and save again.'
    s.save.mockRejectedValueOnce(new Error(refusal))
    mountWith(SyncsView)
    await settle()
    byId('new-sync')!.click()
    await settle()
    ;(byId('sync-dest-meta')!.querySelector('input') as HTMLInputElement).click()
    await settle()
    type(byId('sync-name'), 'crm-meta')
    type(byId('sync-input'), '/data/crm.csv')
    type(byId('sync-mappings'), 'email=email\nidfa=idfa')
    type(byId('sync-audience-name'), 'CRM')
    await settle()
    byId('sync-save')!.click()
    await settle()
    expect(byId('sync-error')!.textContent).toBe(refusal)
  })
})

describe('Save as sync after an upload to TikTok and Meta', () => {
  beforeEach(() => {
    document.body.innerHTML = ''
    vi.clearAllMocks()
    m.state.mockResolvedValue(metaState())
    listAudiences.mockResolvedValue({ advertiser_id: '', ad_account: ACT, audiences: [metaAudience] })
  })

  it('Meta’s button saves a Meta sync of the same list into the audience just uploaded to, taking that upload', async () => {
    const pinia = createPinia()
    setActivePinia(pinia)
    const wiz = useWizardStore()
    wiz.file = { path: '/data/crm/customers.csv', name: 'customers.csv', size: 100, modified: '', estimated_rows: 3 } as never
    wiz.columns = [{ name: 'email', pii: true, type: 'email' }]
    wiz.audience = 'CRM weekly'
    wiz.destinations = ['tiktok', 'meta']
    wiz.run.outputDir = '/out/CRM-weekly-20261201'
    const meta = useMetaStore()
    meta.upload = { state: 'succeeded', outputDir: '/out/CRM-weekly-20261201', jobId: 'mj', lines: [], error: '',
      result: { ad_account: ACT, audience_id: META_AUD, audience_name: 'CRM weekly', status: 'too small to be used yet', size: 'fewer than 1,000', ready: false, rows: 3 } }
    s.save.mockImplementationOnce(async (d: SyncDefinition) => ({ definition: d, not_adopted: 'This app does not yet take an upload to Meta as a sync’s record: its first run sends the whole list with REPLACE.' }))
    mountWith(defineComponent(() => () => h(SaveAsSyncButton, { platform: 'meta' })), pinia)
    await settle()
    expect(byId('save-as-sync-meta')!.textContent).toContain('Save as sync to Meta')
    byId('save-as-sync-meta')!.click()
    await settle()
    expect((byId('sync-name')!.querySelector('input') as HTMLInputElement).value).toBe('CRM-weekly-meta')
    byId('sync-save')!.click()
    await settle()
    expect(s.save).toHaveBeenCalledWith(
      expect.objectContaining({ name: 'CRM-weekly-meta', destination: 'meta', ad_account: ACT, audience_id: META_AUD, audience_name: '', input: '/data/crm/customers.csv' }),
      '/out/CRM-weekly-20261201',
    )
    expect(document.body.textContent).toContain('Saved sync “CRM-weekly-meta” (Meta).')
    expect(document.body.textContent).toContain('its first run sends the whole list with REPLACE')
    expect(byId('open-syncs-meta')).not.toBeNull()
  })
})

describe('a Meta sync in the Syncs view', () => {
  beforeEach(() => {
    document.body.innerHTML = ''
    vi.clearAllMocks()
    m.state.mockResolvedValue(metaState())
  })
  const row = (over: Partial<SyncRow> = {}): SyncRow => ({
    name: 'crm-meta', input: '/data/crm.csv', mappings: [{ column: 'email', type: 'email' }], region: 'US', phone_format: 'digits', layout: 'combined',
    destination: 'meta', platform: 'meta', audience_id: META_AUD, mode: 'mirror', state_rows: 300, pending: false,
    audience_status: 'not_ready', audience_status_text: 'too small to be used yet', audience_size: 'fewer than 1,000', audience_label: 'CRM on Meta', matched_users: 0, ...over,
  })

  it('shows its size and status in words, and after a run says them and Meta’s lag', async () => {
    s.list.mockResolvedValue({ syncs: [row()] })
    const p = { id: 'p1', sync: 'crm-meta', mode: 'mirror', audience_id: META_AUD, rows_now: 300, state_rows: 300, added: 1, removed: 1, unchanged: 299, action: 'update' as const, reason: 'r', resumed: false }
    s.plan.mockResolvedValue(p)
    s.run.mockResolvedValue({ result: { ...p, files_uploaded: 2, bytes_uploaded: 300, full_bytes: 40000 } })
    mountWith(SyncsView)
    await settle()
    const status = byId('status-crm-meta')!.textContent!
    expect(status).toContain('too small to be used yet')
    expect(status).toContain('size fewer than 1,000')
    expect(status).not.toContain('matched')
    byId('run-crm-meta')!.click()
    await settle()
    expect(byId('plan-action')!.textContent).toContain('Add the new rows')
    s.list.mockResolvedValue({ syncs: [row({ audience_status: 'ready', audience_status_text: 'ready', audience_size: 'about 1,200 to 1,400' })] })
    byId('sync-apply')!.click()
    await settle()
    const done = byId('sync-done-status')!.textContent!
    expect(done).toContain('Meta now reports the audience as ready, size about 1,200 to 1,400')
    expect(done).toContain('up to 24 hours')
    expect(byId('sync-done')!.textContent).not.toContain('TikTok')
  })

  it('deleting it says the audience stays at Meta', async () => {
    s.list.mockResolvedValue({ syncs: [row()] })
    mountWith(SyncsView)
    await settle()
    byId('delete-crm-meta')!.click()
    await settle()
    expect(document.body.querySelector('.n-dialog')!.textContent).toContain('stays at Meta as it is')
  })
})

describe('what Meta lacks, in a sentence', () => {
  it('names the missing ad account or token, and what setting it up is for', async () => {
    const { metaNotReady } = await import('../lib/meta')
    expect(metaNotReady(metaState({ ad_account: '', ready: false }), 'to do X')).toBe('Meta is not set up yet: enter the ad account and a system-user token in Settings > Meta to do X.')
    expect(metaNotReady(metaState({ token_saved: false, ready: false }), 'to do X')).toBe(`No Meta token is saved for ${ACT}: paste the system-user token in Settings > Meta to do X.`)
    expect(metaNotReady(metaState(), 'to do X')).toBe('')
    expect(metaNotReady(null, 'to do X')).toBe('')
  })
})
