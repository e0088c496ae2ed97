import { describe, it, expect, vi, beforeEach } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { mountWith, flush, fileInfo, manifest, byId, seedSettings } from './helpers'
import type { Settings } from '../api/types'
import type { TikTokState, TikTokAudience, UploadEvent, UploadDone, AudienceStatus } from '../api/upload'

vi.mock('../api', () => ({
  api: { saveSettings: vi.fn(), openFolder: vi.fn(), exportReport: vi.fn() },
  uploadApi: {
    tiktokState: vi.fn(),
    saveToken: vi.fn(async () => undefined),
    deleteToken: vi.fn(async () => undefined),
    testConnection: vi.fn(),
    audiences: vi.fn(),
    startUpload: vi.fn(async () => undefined),
    resumeUpload: vi.fn(async () => undefined),
    cancelUpload: vi.fn(async () => true),
    jobs: vi.fn(async () => []),
    followPending: vi.fn(async () => []),
    status: vi.fn(),
    onEvent: vi.fn(() => () => {}),
    onDone: vi.fn(() => () => {}),
  },
}))
import { api, uploadApi } from '../api'
import { useAppStore } from '../stores/app'
import { useWizardStore } from '../stores/wizard'
import { useUploadStore } from '../stores/upload'
import { formatBytes } from '../lib/format'
import TikTokSettingsCard from '../components/upload/TikTokSettingsCard.vue'
import UploadPanel from '../components/upload/UploadPanel.vue'
import AudienceStatusCard from '../components/upload/AudienceStatusCard.vue'
import AudiencePicker from '../components/upload/AudiencePicker.vue'
import UploadHistory from '../components/upload/UploadHistory.vue'

const m = api as unknown as Record<string, ReturnType<typeof vi.fn>>
const u = uploadApi as unknown as Record<string, ReturnType<typeof vi.fn>>
const ADV = '7000000000000000001'

function state(over: Partial<TikTokState> = {}, token: Partial<TikTokState['token']> = {}): TikTokState {
  return {
    tiktok: { environment: 'custom', base_url: 'http://127.0.0.1:9/open_api/', advertiser_id: ADV },
    base_url: 'http://127.0.0.1:9/open_api/',
    token: { advertiser_id: ADV, saved: true, from_env: false, keychain_available: true, ...token },
    ready: true,
    ...over,
  }
}
const audience: TikTokAudience = {
  audience_id: '6001',
  name: 'Spring buyers',
  audience_type: 'CUSTOMER_FILE',
  calculate_type: 'EMAIL_SHA256',
  cover_num: 1234,
  is_valid: true,
  is_expiring: true,
  create_time: '2026-11-28 10:00:00',
  expired_time: '',
  msg: '',
  error_msg: '',
}
const ev = (e: Partial<UploadEvent>): UploadEvent => ({ job_id: 'job1', kind: 'step', time: '2026-11-28T10:00:00Z', file_index: 0, files: 1, ...e })

describe('Settings → TikTok', () => {
  beforeEach(() => {
    document.body.innerHTML = ''
    setActivePinia(createPinia())
    vi.clearAllMocks()
  })

  it('saves the environment, advertiser and token (to the keychain, then clears the field) and tests the connection', async () => {
    u.tiktokState.mockResolvedValueOnce(state({ ready: false }, { saved: false, advertiser_id: '' })).mockResolvedValue(state())
    m.saveSettings.mockImplementation(async (s: Settings) => s)
    u.testConnection.mockResolvedValue({ advertiser_id: ADV, base_url: 'http://127.0.0.1:9/open_api/', audiences: [audience] })
    const pinia = createPinia()
    setActivePinia(pinia)
    seedSettings()
    const w = mountWith(TikTokSettingsCard, pinia)
    await flush()
    expect(byId('tiktok-token-status')!.textContent).toContain('No token is saved yet')
    await w.find('[data-testid="tiktok-advertiser"] input').setValue(ADV)
    const tok = w.find('[data-testid="tiktok-token"] input')
    expect(tok.attributes('type')).toBe('password')
    await tok.setValue('secret-token')
    await w.find('[data-testid="tiktok-token-toggle"]').trigger('click')
    expect(w.find('[data-testid="tiktok-token"] input').attributes('type')).toBe('text')
    await w.find('[data-testid="tiktok-save"]').trigger('click')
    await flush()
    await flush()
    expect(m.saveSettings).toHaveBeenCalledWith(expect.objectContaining({ tiktok: { environment: 'production', base_url: '', advertiser_id: ADV } }))
    expect(u.saveToken).toHaveBeenCalledWith(ADV, 'secret-token')
    expect((w.find('[data-testid="tiktok-token"] input').element as HTMLInputElement).value).toBe('')
    expect(w.find('[data-testid="tiktok-token"] input').attributes('type')).toBe('password')
    expect(byId('tiktok-token-status')!.textContent).toContain('saved in the OS keychain')

    await w.find('[data-testid="tiktok-test"]').trigger('click')
    await flush()
    await flush()
    expect(byId('tiktok-test-ok')!.textContent).toContain('1 audience')
    expect(byId('tiktok-test-audiences')!.textContent).toContain('Spring buyers')
    expect(byId('tiktok-test-audiences')!.textContent).toContain('Expiring')
    expect(m.saveSettings).toHaveBeenCalledTimes(1) // nothing changed since: no second save
  })

  it('refuses a token without an advertiser id and shows the permission sentence of a failed test', async () => {
    u.tiktokState.mockResolvedValue(state())
    m.saveSettings.mockImplementation(async (s: Settings) => s)
    const pinia = createPinia()
    setActivePinia(pinia)
    seedSettings()
    const w = mountWith(TikTokSettingsCard, pinia)
    await flush()
    await w.find('[data-testid="tiktok-token"] input').setValue('tok')
    await w.find('[data-testid="tiktok-save"]').trigger('click')
    await flush()
    expect(byId('tiktok-error')!.textContent).toContain('Enter the advertiser id')
    expect(u.saveToken).not.toHaveBeenCalled()
    await w.find('[data-testid="tiktok-token"] input').setValue('')
    useAppStore().settings!.tiktok.advertiser_id = ADV
    await flush()
    u.testConnection.mockRejectedValue(new Error('list audiences: the token is not allowed to manage audiences. Grant the app the Audience Management scope.'))
    await w.find('[data-testid="tiktok-test"]').trigger('click')
    await flush()
    await flush()
    expect(byId('tiktok-test-error')!.textContent).toContain('Audience Management scope')
  })

  it('says so when there is no keychain, and removes a saved token', async () => {
    u.tiktokState.mockResolvedValueOnce(state({ ready: false }, { saved: false, keychain_available: false, keychain_error: 'no OS keychain: set TIKTOK_ACCESS_TOKEN in the environment instead; the token is never written to a file' }))
    const pinia = createPinia()
    setActivePinia(pinia)
    seedSettings()
    const w = mountWith(TikTokSettingsCard, pinia)
    await flush()
    expect(byId('tiktok-token-status')!.textContent).toContain('No keychain on this machine')
    expect(byId('tiktok-token-status')!.textContent).toContain('TIKTOK_ACCESS_TOKEN')
    expect(w.find('[data-testid="tiktok-remove-token"]').exists()).toBe(false)

    u.tiktokState.mockResolvedValueOnce(state()).mockResolvedValueOnce(state({ ready: false }, { saved: false }))
    await useUploadStore().loadState()
    useAppStore().settings!.tiktok.advertiser_id = ADV
    await flush()
    await w.find('[data-testid="tiktok-remove-token"]').trigger('click')
    await flush()
    await flush()
    expect(u.deleteToken).toHaveBeenCalledWith(ADV)
    expect(byId('tiktok-token-status')!.textContent).toContain('No token is saved yet')
  })
})

async function finishedRun() {
  const pinia = createPinia()
  setActivePinia(pinia)
  const wiz = useWizardStore()
  wiz.file = fileInfo
  wiz.audience = 'Spring buyers'
  wiz.run.state = 'succeeded'
  wiz.run.outputDir = '/out/Spring-buyers'
  wiz.run.manifest = manifest
  return pinia
}

describe('Step 5 upload', () => {
  beforeEach(() => {
    document.body.innerHTML = ''
    vi.clearAllMocks()
  })

  it('points to the TikTok card in Settings when no token or advertiser is set', async () => {
    u.tiktokState.mockResolvedValue(state({ ready: false }, { saved: false }))
    const pinia = await finishedRun()
    const w = mountWith(UploadPanel, pinia)
    await flush()
    expect(byId('upload-not-configured')!.textContent).toContain('in Settings, on the TikTok card')
    expect(w.find('[data-testid="upload-start"]').exists()).toBe(false)
    await w.find('[data-testid="upload-open-settings"]').trigger('click')
    expect(useAppStore().view).toBe('settings')
  })

  it('uploads, shows bytes per file, retries and rate-limit waits, then the audience status as it updates', async () => {
    u.tiktokState.mockResolvedValue(state())
    const pinia = await finishedRun()
    const w = mountWith(UploadPanel, pinia)
    await flush()
    expect(byId('upload-card')!.textContent).toContain('Create the audience “Spring buyers” from 1 file')
    await w.find('[data-testid="upload-start"]').trigger('click')
    await flush()
    expect(u.startUpload).toHaveBeenCalledWith({ output_dir: '/out/Spring-buyers', audience_name: 'Spring buyers', audience_id: '', action: '' })
    const up = useUploadStore()
    up.onEvent(ev({ kind: 'step', step: 'uploading' }))
    up.onEvent(ev({ kind: 'file_start', file: 'audience-part-001.csv', bytes_total: 2000 }))
    up.onEvent(ev({ kind: 'file_bytes', file: 'audience-part-001.csv', bytes_sent: 1000, bytes_total: 2000 }))
    up.onEvent(ev({ kind: 'retry', wait: 1_500_000_000, message: 'upload file: attempt 1 failed; retrying in 1.5s' }))
    up.onEvent(ev({ kind: 'rate_limited', wait: 800_000_000, message: 'create audience: TikTok rate limit reached; waiting 800ms' }))
    up.onEvent(ev({ job_id: 'other', kind: 'retry', wait: 1 })) // another job's event is ignored
    await flush()
    expect(byId('upload-step')!.textContent).toContain('Uploading files')
    expect(byId('upload-file-0')!.textContent).toContain(`${formatBytes(1000)} of ${formatBytes(2000)}`)
    expect(byId('upload-file-0')!.textContent).toContain('audience-part-001.csv')
    expect(byId('upload-counters')!.textContent).toContain('Retries: 1 · Rate-limit waits: 1')
    expect(byId('upload-notices')!.textContent).toContain("TikTok's rate limit was reached: waiting 800 ms")
    expect(byId('upload-notices')!.textContent).toContain('retried in 1.5 s')
    expect(w.find('[data-testid="upload-cancel"]').exists()).toBe(true)

    up.onEvent(ev({ kind: 'file_done', file: 'audience-part-001.csv', bytes_total: 2000 }))
    up.onEvent(ev({ kind: 'audience', audience_id: '6001' }))
    up.onEvent(ev({ kind: 'warning', message: 'Only 35 rows: TikTok needs at least 1,000 users to target.' }))
    await flush()
    expect(byId('upload-notices')!.textContent).toContain('at least 1,000 users')
    const done: UploadDone = {
      job_id: 'job1',
      cancelled: false,
      result: { job_id: 'job1', action: 'CREATE', audiences: [{ calculate_type: 'MULTIPLE_TYPES', audience_id: '6001', audience_name: 'Spring buyers', rows: 35 }], files: 1, rows: 35, files_uploaded: 1, files_reused: 0, resumed: false, warnings: ['Only 35 rows: TikTok needs at least 1,000 users to target.'], already_done: false },
    }
    up.onDone(done)
    await flush()
    expect(byId('upload-success')!.textContent).toContain('35 rows in 1 file')
    expect(byId('upload-audience-id')!.textContent).toBe('6001')
    expect(byId('upload-card')!.textContent).toContain('at least 1,000 users')
    expect(byId('upload-notices')!.textContent).not.toContain('at least 1,000 users') // shown once, in the result
    expect(byId('upload-notices')!.textContent).toContain("TikTok's rate limit was reached") // waits stay listed
    expect(byId('audience-processing')).not.toBeNull()
    expect(byId('audience-status-6001')!.textContent).toContain("Waiting for TikTok's first answer")

    const st: AudienceStatus = { audience_id: '6001', name: 'Spring buyers', calculate_type: 'MULTIPLE_TYPES', ready: false, is_expiring: false, matched_users: 0, rows_uploaded: 35, checked_at: '2026-11-28T10:01:00Z' }
    up.onEvent({ job_id: '', kind: 'status', time: '', file_index: 0, files: 0, audience_id: '6001', status: st })
    await flush()
    expect(byId('audience-status-6001')!.textContent).toContain('still matching')
    up.onEvent({ job_id: '', kind: 'status', time: '', file_index: 0, files: 0, audience_id: '6001', status: { ...st, ready: true, matched_users: 28, match_rate: 0.8 } })
    await flush()
    expect(byId('audience-ready')).not.toBeNull()
    expect(byId('audience-matched')!.textContent).toContain('28')
    expect(byId('audience-rate')!.textContent).toContain('80.0%')
  })

  it('asks before cancelling, then shows the cancel as resumable', async () => {
    u.tiktokState.mockResolvedValue(state())
    const pinia = await finishedRun()
    const w = mountWith(UploadPanel, pinia)
    await flush()
    await w.find('[data-testid="upload-start"]').trigger('click')
    await flush()
    const up = useUploadStore()
    up.onEvent(ev({ kind: 'step', step: 'uploading' }))
    await flush()
    await w.find('[data-testid="upload-cancel"]').trigger('click')
    await flush()
    expect(u.cancelUpload).not.toHaveBeenCalled()
    const confirm = Array.from(document.body.querySelectorAll('.n-dialog button')).find((b) => b.textContent?.trim() === 'Cancel upload') as HTMLElement
    confirm.click()
    await flush()
    expect(u.cancelUpload).toHaveBeenCalledTimes(1)
    up.onDone({ job_id: 'job1', cancelled: true, error: 'The upload was cancelled. Files already sent are kept: Resume continues where it stopped.' })
    await flush()
    expect(byId('upload-failed')!.textContent).toContain('The upload was cancelled')
    expect(byId('upload-resume')).not.toBeNull()
  })

  it('offers Resume after a failure and resumes the same job', async () => {
    u.tiktokState.mockResolvedValue(state())
    const pinia = await finishedRun()
    const w = mountWith(UploadPanel, pinia)
    await flush()
    await w.find('[data-testid="upload-start"]').trigger('click')
    await flush()
    const up = useUploadStore()
    up.onEvent(ev({ kind: 'step', step: 'uploading' }))
    up.onDone({ job_id: 'job1', cancelled: false, error: 'create audience "Spring buyers": the access token is missing, expired or revoked. Create a new token and save it in Settings → TikTok.' })
    await flush()
    expect(byId('upload-failed')!.textContent).toContain('expired or revoked')
    await w.find('[data-testid="upload-resume"]').trigger('click')
    await flush()
    expect(u.resumeUpload).toHaveBeenCalledWith('job1')
    expect(up.run.state).toBe('running')
  })

  it('shows a start refusal as a sentence and offers to try again', async () => {
    u.tiktokState.mockResolvedValue(state())
    u.startUpload.mockRejectedValueOnce(new Error('An upload is already running. Wait for it to finish or cancel it first.'))
    const pinia = await finishedRun()
    const w = mountWith(UploadPanel, pinia)
    await flush()
    await w.find('[data-testid="upload-start"]').trigger('click')
    await flush()
    expect(byId('upload-failed')!.textContent).toContain('already running')
    await w.find('[data-testid="upload-retry"]').trigger('click')
    await flush()
    expect(u.startUpload).toHaveBeenCalledTimes(2)
  })
})

describe('Audience status card', () => {
  it('shows TikTok messages, expiry and a follow-up error', async () => {
    const pinia = createPinia()
    setActivePinia(pinia)
    const up = useUploadStore()
    up.statuses['6002'] = { audience_id: '6002', name: 'Lapsed', calculate_type: 'EMAIL_SHA256', ready: true, is_expiring: true, matched_users: 500, rows_uploaded: 1000, match_rate: 0.5, messages: ['2026-11-28 APPEND: 12 rows could not be parsed'], checked_at: '2026-11-28T10:00:00Z' }
    up.followErrors['6002'] = 'Checking audience 6002 stopped: the token was revoked.'
    const { defineComponent, h } = await import('vue')
    mountWith(defineComponent({ render: () => h(AudienceStatusCard, { audienceId: '6002' }) }), pinia)
    await flush()
    const t = byId('audience-status-6002')!.textContent!
    expect(t).toContain('Lapsed')
    expect(t).toContain('50.0%')
    expect(t).toContain('12 rows could not be parsed')
    expect(t).toContain('expiring')
    expect(t).toContain('token was revoked')
  })
})

describe('Step 2 audience picker', () => {
  beforeEach(() => {
    document.body.innerHTML = ''
    vi.clearAllMocks()
  })

  it('is hidden until TikTok is configured', async () => {
    u.tiktokState.mockResolvedValue(state({ ready: false }, { saved: false }))
    const pinia = createPinia()
    setActivePinia(pinia)
    mountWith(AudiencePicker, pinia)
    await flush()
    expect(byId('audience-picker')).toBeNull()
    expect(u.audiences).not.toHaveBeenCalled()
  })

  it('lists audiences with name, type, size, valid and expiring; new audience is the default; choosing one offers the actions', async () => {
    u.tiktokState.mockResolvedValue(state())
    const other = { ...audience, audience_id: '6002', name: 'Lapsed', calculate_type: 'PHONE_SHA256', cover_num: 2000, is_valid: false, is_expiring: false }
    u.audiences.mockResolvedValue([audience, other])
    const pinia = createPinia()
    setActivePinia(pinia)
    const w = mountWith(AudiencePicker, pinia)
    await flush()
    await flush()
    const table = byId('audiences-table')!.textContent!
    for (const s of ['Spring buyers', 'Email', '1,234', 'Ready', 'Expiring', 'Lapsed', 'Phone', '2,000', 'Processing']) expect(table).toContain(s)
    const up = useUploadStore()
    expect(up.targetId).toBe('')
    expect(byId('audience-action')).toBeNull()
    await w.find('[data-testid="audience-existing"] input').setValue(true)
    await flush()
    expect(up.targetId).toBe('6001')
    expect(byId('audience-action')!.textContent).toContain('Adds the people')
    await w.findAll('[data-testid="audiences-table"] .n-radio input')[1].setValue(true)
    await flush()
    expect(up.targetId).toBe('6002')
    await w.find('[data-testid="action-REPLACE"] input').setValue(true)
    await flush()
    expect(up.action).toBe('REPLACE')
    expect(byId('audience-action')!.textContent).toContain('Replaces everyone')
    await w.find('[data-testid="audience-new"] input').setValue(true)
    await flush()
    expect(up.targetId).toBe('')
  })

  it('shows a failed list as the sentence Go sends', async () => {
    u.tiktokState.mockResolvedValue(state())
    u.audiences.mockRejectedValue(new Error('list audiences: TikTok answered HTTP 503: a temporary TikTok failure.'))
    const pinia = createPinia()
    setActivePinia(pinia)
    mountWith(AudiencePicker, pinia)
    await flush()
    await flush()
    expect(byId('audiences-error')!.textContent).toContain('temporary TikTok failure')
  })

  it('step 5 uploads into the chosen audience with the action, after asking for a replace', async () => {
    u.tiktokState.mockResolvedValue(state())
    const pinia = await finishedRun()
    const up = useUploadStore()
    up.audiences = [audience]
    up.targetId = '6001'
    up.action = 'REPLACE'
    const w = mountWith(UploadPanel, pinia)
    await flush()
    expect(byId('upload-card')!.textContent).toContain('Replace the existing audience “Spring buyers”')
    await w.find('[data-testid="upload-start"]').trigger('click')
    await flush()
    expect(u.startUpload).not.toHaveBeenCalled()
    const confirm = Array.from(document.body.querySelectorAll('.n-dialog button')).find((b) => b.textContent?.trim() === 'Replace') as HTMLElement
    confirm.click()
    await flush()
    expect(u.startUpload).toHaveBeenCalledWith({ output_dir: '/out/Spring-buyers', audience_name: '', audience_id: '6001', action: 'REPLACE' })
  })
})

describe('History: TikTok uploads', () => {
  beforeEach(() => {
    document.body.innerHTML = ''
    vi.clearAllMocks()
  })

  const jobs = [
    { id: 'j3', manifest_path: '/out/c/manifest.json', advertiser_id: ADV, audience_name: 'Interrupted one', action: 'CREATE', step: 'uploading', created_at: '2026-11-28T12:00:00Z', updated_at: '2026-11-28T12:00:00Z', targets: [{ calculate_type: 'EMAIL_SHA256', rows: 10 }] },
    { id: 'j2', manifest_path: '/out/b/manifest.json', advertiser_id: ADV, audience_name: 'Failed one', action: 'CREATE', step: 'audience', error: 'create audience: the token is not allowed to manage audiences. Grant the Audience Management scope.', created_at: '2026-11-28T11:00:00Z', updated_at: '2026-11-28T11:00:00Z', targets: [{ calculate_type: 'EMAIL_SHA256', rows: 10 }] },
    { id: 'j1', manifest_path: '/out/a/manifest.json', advertiser_id: ADV, audience_name: 'Spring buyers', action: 'CREATE', step: 'done', created_at: '2026-11-28T10:00:00Z', updated_at: '2026-11-28T10:00:00Z', targets: [{ calculate_type: 'EMAIL_SHA256', audience_id: '6001', rows: 1000 }] },
  ]

  it('shows each job with its audience id and status; failed and interrupted jobs offer Resume; a done one checks its status', async () => {
    u.jobs.mockResolvedValue(jobs)
    u.status.mockResolvedValue({ audience_id: '6001', name: 'Spring buyers', calculate_type: 'EMAIL_SHA256', ready: true, is_expiring: false, matched_users: 700, rows_uploaded: 1000, match_rate: 0.7, checked_at: '2026-11-28T10:05:00Z' })
    const pinia = createPinia()
    setActivePinia(pinia)
    const w = mountWith(UploadHistory, pinia)
    await flush()
    await flush()
    const t = byId('upload-history-table')!.textContent!
    expect(t).toContain('Interrupted')
    expect(t).toContain('Failed')
    expect(t).toContain('Audience Management scope')
    expect(t).toContain('Uploaded')
    expect(t).toContain('Not created yet')
    expect(byId('history-audience-6001')!.textContent).toContain('6001')
    expect(byId('history-resume-j1')).toBeNull()
    expect(byId('history-resume-j2')).not.toBeNull()
    await w.find('[data-testid="history-audience-6001"] button').trigger('click')
    await flush()
    await flush()
    expect(u.status).toHaveBeenCalledWith(ADV, '6001')
    expect(byId('history-audience-6001')!.textContent).toContain('Ready · 700 matched · 70.0%')
    await w.find('[data-testid="history-resume-j3"]').trigger('click')
    await flush()
    expect(u.resumeUpload).toHaveBeenCalledWith('j3')
    expect(useUploadStore().run.state).toBe('running')
    expect(byId('upload-history-table')!.textContent).toContain('Uploading…')
    expect(useUploadStore().run.outputDir).toBe('/out/c')
  })

  it('step 5 of another output waits while a resumed upload runs', async () => {
    u.tiktokState.mockResolvedValue(state())
    u.jobs.mockResolvedValue(jobs)
    const pinia = await finishedRun()
    const up = useUploadStore()
    await up.loadJobs()
    await up.resume('j3')
    mountWith(UploadPanel, pinia)
    await flush()
    expect(byId('upload-card')!.textContent).toContain('Another upload is running')
    expect((byId('upload-start') as HTMLButtonElement).disabled).toBe(true)
    expect(byId('upload-step')).toBeNull()
  })

  it('shows nothing without upload jobs', async () => {
    u.jobs.mockResolvedValue([])
    const pinia = createPinia()
    setActivePinia(pinia)
    mountWith(UploadHistory, pinia)
    await flush()
    expect(byId('upload-history')).toBeNull()
  })
})
