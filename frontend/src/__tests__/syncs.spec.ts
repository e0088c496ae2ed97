import { describe, it, expect, vi, beforeEach } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { mountWith, flush } from './helpers'
import type { SyncList, SyncPlan, SyncProgress, SyncRow, SyncDefinition } from '../api/syncs'

vi.mock('../api', () => {
  return {
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
  }
})
import { syncsApi } from '../api'
import SyncsView from '../views/SyncsView.vue'
import SaveAsSyncButton from '../components/syncs/SaveAsSyncButton.vue'
import { useWizardStore } from '../stores/wizard'
import { useUploadStore } from '../stores/upload'

// The machine running the suite is shared: mounting Naive UI's table and modals can take seconds.
vi.setConfig({ testTimeout: 30000 })

const s = syncsApi as unknown as Record<string, ReturnType<typeof vi.fn>>
const AUD = '7300000000000000101'
const sync = (over: Partial<SyncRow> = {}): SyncRow => ({
  name: 'crm-weekly',
  input: '/data/crm/customers.csv',
  mappings: [{ column: 'email', type: 'email' }],
  region: 'US',
  phone_format: 'digits',
  layout: 'combined',
  audience_id: AUD,
  mode: 'mirror',
  state_rows: 1400,
  pending: false,
  audience_status: 'ready',
  audience_label: 'CRM weekly',
  matched_users: 1260,
  last_run: { at: '2026-11-30T08:00:00Z', action: 'update', added: 120, removed: 35, rows_now: 1400, audience_id: AUD, reason: '' },
  ...over,
})
const list = (rows: SyncRow[]): SyncList => ({ syncs: rows })
const plan = (over: Partial<SyncPlan> = {}): SyncPlan => ({
  id: 'plan-1',
  sync: 'crm-weekly',
  mode: 'mirror',
  audience_id: AUD,
  rows_now: 1450,
  state_rows: 1400,
  added: 80,
  removed: 30,
  unchanged: 1370,
  action: 'update',
  reason: 'The state matches the audience: 80 rows are added and 30 removed.',
  resumed: false,
  ...over,
})
const byId = (id: string) => document.body.querySelector(`[data-testid="${id}"]`) as HTMLElement | null
const settle = async () => {
  for (let i = 0; i < 5; i++) await flush()
}
function type(el: HTMLElement | null, value: string) {
  const input = (el?.querySelector('input, textarea') ?? el) as HTMLInputElement
  input.value = value
  input.dispatchEvent(new Event('input'))
}

describe('SyncsView', () => {
  beforeEach(() => {
    document.body.innerHTML = ''
    vi.clearAllMocks()
  })

  it('lists each sync with its source, audience, last run (+/−), status and matched users', async () => {
    s.list.mockResolvedValue(list([sync(), sync({ name: 'new-list', audience_id: '', audience_name: 'Spring buyers', last_run: undefined, audience_status: '', matched_users: 0 })]))
    mountWith(SyncsView)
    await settle()
    const text = byId('syncs-table')!.textContent!
    for (const want of ['crm-weekly', '/data/crm/customers.csv', 'CRM weekly', AUD, '+120', '−35', 'ready', '1,260 matched', '“Spring buyers”, made on the first run', 'never']) {
      expect(text).toContain(want)
    }
  })

  it('a sync that adopted the wizard’s upload says so instead of a last run', async () => {
    s.list.mockResolvedValue(
      list([sync({ last_run: { at: '2026-12-01T10:00:00Z', action: 'adopt', added: 2000, removed: 0, rows_now: 2000, audience_id: AUD, reason: 'took the upload' } })]),
    )
    mountWith(SyncsView)
    await settle()
    const cell = byId('last-run-crm-weekly')!.textContent!
    expect(cell).toContain('Adopted from the upload of')
    expect(cell).toContain('2,000 rows; the next run sends only what changed')
    expect(cell).not.toContain('+2,000')
  })

  it('Run now shows the dry run and uploads only after the person agrees', async () => {
    s.list.mockResolvedValue(list([sync()]))
    s.plan.mockResolvedValue(plan())
    s.run.mockResolvedValue({ result: { ...plan(), files_uploaded: 2, bytes_uploaded: 7000, full_bytes: 93000 } })
    mountWith(SyncsView)
    await settle()
    byId('run-crm-weekly')!.click()
    await settle()
    expect(s.plan).toHaveBeenCalledWith('crm-weekly')
    expect(s.run).not.toHaveBeenCalled()
    expect(byId('plan-added')!.textContent).toContain('+80')
    expect(byId('plan-removed')!.textContent).toContain('−30')
    expect(byId('plan-action')!.textContent).toContain('80 rows are added and 30 removed')
    byId('sync-apply')!.click()
    await settle()
    expect(s.run).toHaveBeenCalledWith('crm-weekly', 'plan-1', false)
    expect(byId('sync-done')!.textContent).toContain('Added 80, removed 30')
  })

  it('a large removal shows the numbers and is sent only after the explicit yes', async () => {
    s.list.mockResolvedValue(list([sync()]))
    const removals = { removing: 700, of: 1400, percent: 50, limit: 10, over: true }
    s.plan.mockResolvedValue(plan({ removed: 700, added: 0, removals }))
    s.run.mockResolvedValue({ result: { ...plan({ removed: 700, added: 0 }), files_uploaded: 1, bytes_uploaded: 7000, full_bytes: 93000 } })
    mountWith(SyncsView)
    await settle()
    byId('run-crm-weekly')!.click()
    await settle()
    const warn = byId('plan-removals')!.textContent!
    expect(warn).toContain('remove 700 of the 1,400 people')
    expect(warn).toContain('50.0%')
    expect(warn).toContain('more than the 10%')
    expect((byId('sync-apply') as HTMLButtonElement).disabled).toBe(true)
    byId('confirm-removals')!.click()
    await settle()
    expect((byId('sync-apply') as HTMLButtonElement).disabled).toBe(false)
    byId('sync-apply')!.click()
    await settle()
    expect(s.run).toHaveBeenCalledWith('crm-weekly', 'plan-1', true)
  })

  it('when the list changed after the plan was shown, the new plan is shown and asked again', async () => {
    s.list.mockResolvedValue(list([sync()]))
    s.plan.mockResolvedValue(plan())
    s.run.mockResolvedValueOnce({ new_plan: plan({ id: 'plan-2', added: 95 }), changed: 'Nothing was sent: the list changed since the plan was shown. Here is the new plan; check it and press Upload these changes again.' })
    mountWith(SyncsView)
    await settle()
    byId('run-crm-weekly')!.click()
    await settle()
    byId('sync-apply')!.click()
    await settle()
    expect(byId('plan-changed')!.textContent).toContain('the list changed since the plan was shown')
    expect(byId('plan-added')!.textContent).toContain('+95')
    expect(byId('sync-done')).toBeNull()
    s.run.mockResolvedValueOnce({ result: { ...plan({ added: 95 }), files_uploaded: 1, bytes_uploaded: 1, full_bytes: 2 } })
    byId('sync-apply')!.click()
    await settle()
    expect(s.run).toHaveBeenLastCalledWith('crm-weekly', 'plan-2', false)
    expect(byId('sync-done')).not.toBeNull()
  })

  it('a deleted audience offers Start over, which plans the new audience', async () => {
    s.list.mockResolvedValue(list([sync()]))
    s.plan
      .mockResolvedValueOnce(plan({ action: 'gone', reason: 'Audience 7300000000000000101 no longer exists at TikTok (it was deleted, or it expired), so this sync cannot change it. Press Start over to create a new audience with the whole list; the sync’s record of the old one is discarded.' }))
      .mockResolvedValueOnce(plan({ id: 'plan-3', action: 'create', audience_id: '', added: 1450 }))
    mountWith(SyncsView)
    await settle()
    byId('run-crm-weekly')!.click()
    await settle()
    expect(byId('plan-action')!.textContent).toContain('no longer exists at TikTok')
    expect(byId('sync-apply')).toBeNull()
    byId('sync-start-over')!.click()
    await settle()
    expect(s.recreate).toHaveBeenCalledWith('crm-weekly')
    expect(byId('plan-added')!.textContent).toContain('+1,450')
    expect(byId('sync-apply')).not.toBeNull()
  })

  it('shows the stage the plan is in while it goes', async () => {
    s.list.mockResolvedValue(list([sync()]))
    let resolve: (p: SyncPlan) => void = () => {}
    s.plan.mockReturnValue(new Promise<SyncPlan>((r) => (resolve = r)))
    mountWith(SyncsView)
    await settle()
    const send = s.onProgress.mock.calls[0][0] as (e: SyncProgress) => void
    byId('run-crm-weekly')!.click()
    await settle()
    send({ sync: 'crm-weekly', stage: 'transform', rows: 1200 })
    await settle()
    expect(byId('sync-stage')!.textContent).toContain('Reading the list: 1,200 rows so far')
    expect(byId('sync-stage')!.textContent).toContain('Nothing is sent yet')
    send({ sync: 'other', stage: 'diff', rows: 0 }) // another sync's progress is not shown
    await settle()
    expect(byId('sync-stage')!.textContent).toContain('1,200 rows')
    resolve(plan())
    await settle()
    expect(byId('plan-added')!.textContent).toContain('+80')
  })

  it('a Clean Rooms sync’s plan says which query’s result it read', async () => {
    const input = 'cleanrooms://m-1/latest?like=q-1'
    s.list.mockResolvedValue(list([sync({ input })]))
    s.plan.mockResolvedValue(plan({ source: `${input} read protected query q-2, the newest successful result of the analysis query q-1 ran` }))
    mountWith(SyncsView)
    await settle()
    byId('run-crm-weekly')!.click()
    await settle()
    expect(byId('plan-source')!.textContent).toContain('read protected query q-2')
  })

  it('a plan that stops says why and offers no upload', async () => {
    s.list.mockResolvedValue(list([sync()]))
    s.plan.mockResolvedValue(plan({ action: 'stop', reason: 'Removing 900 rows would leave 400 users, under TikTok’s 1,000; nothing was sent. Add rows to the list or delete the audience.' }))
    mountWith(SyncsView)
    await settle()
    byId('run-crm-weekly')!.click()
    await settle()
    expect(byId('plan-action')!.textContent).toContain('under TikTok’s 1,000')
    expect(byId('sync-apply')).toBeNull()
  })

  it('a failed plan or run shows the sentence from Go', async () => {
    s.list.mockResolvedValue(list([sync()]))
    s.plan.mockRejectedValueOnce(new Error('Sync "crm-weekly" could not be planned: it is running already (here or from a scheduled command). Wait for that run to finish, then try again.'))
    mountWith(SyncsView)
    await settle()
    byId('run-crm-weekly')!.click()
    await settle()
    expect(byId('sync-run-error')!.textContent).toContain('Wait for that run to finish')
  })

  it('deletes a sync after a confirmation naming it, saying the audience stays', async () => {
    s.list.mockResolvedValueOnce(list([sync()])).mockResolvedValueOnce(list([]))
    mountWith(SyncsView)
    await settle()
    byId('delete-crm-weekly')!.click()
    await settle()
    const dlg = document.body.querySelector('.n-dialog') as HTMLElement
    expect(dlg.textContent).toContain('Delete the sync “crm-weekly”?')
    expect(dlg.textContent).toContain('stays at TikTok')
    ;(Array.from(dlg.querySelectorAll('button')).find((b) => b.textContent?.trim() === 'Delete “crm-weekly”') as HTMLElement).click()
    await settle()
    expect(s.remove).toHaveBeenCalledWith('crm-weekly')
  })

  it('edits a sync: the form holds its values and saves the change', async () => {
    s.list.mockResolvedValue(list([sync()]))
    s.get.mockResolvedValue(sync())
    mountWith(SyncsView)
    await settle()
    byId('edit-crm-weekly')!.click()
    await settle()
    expect((byId('sync-input')!.querySelector('input') as HTMLInputElement).value).toBe('/data/crm/customers.csv')
    type(byId('sync-input'), '/data/crm/customers-2.csv')
    type(byId('sync-mappings'), 'email=email\nmobile=phone')
    await settle()
    byId('sync-save')!.click()
    await settle()
    const saved = s.save.mock.calls[0][0] as SyncDefinition
    expect(saved.input).toBe('/data/crm/customers-2.csv')
    expect(saved.mappings).toEqual([
      { column: 'email', type: 'email' },
      { column: 'mobile', type: 'phone' },
    ])
    expect(saved.audience_id).toBe(AUD)
  })

  it('the form says what to fix before saving', async () => {
    s.list.mockResolvedValue(list([sync()]))
    s.get.mockResolvedValue(sync())
    mountWith(SyncsView)
    await settle()
    byId('edit-crm-weekly')!.click()
    await settle()
    type(byId('sync-mappings'), 'email')
    await settle()
    expect(document.body.textContent).toContain('The line for column “email” needs a type')
    expect((byId('sync-save') as HTMLButtonElement).disabled).toBe(true)
  })
})

describe('Save as sync on the result screen', () => {
  beforeEach(() => {
    document.body.innerHTML = ''
    vi.clearAllMocks()
  })

  it('is filled in from the run and saves a mirror sync into the audience just uploaded to', async () => {
    const pinia = createPinia()
    setActivePinia(pinia)
    const wiz = useWizardStore()
    wiz.file = { path: '/data/crm/customers.csv', name: 'customers.csv', size: 100, modified: '', estimated_rows: 3 } as never
    wiz.columns = [
      { name: 'email', pii: true, type: 'email' },
      { name: 'phone', pii: true, type: 'phone' },
      { name: 'id', pii: false, type: null },
    ]
    wiz.region = 'CA'
    wiz.phoneFormat = 'e164'
    wiz.layout = 'combined'
    wiz.audience = 'CRM weekly'
    const up = useUploadStore()
    up.run.audienceIds = [AUD]
    mountWith(SaveAsSyncButton, pinia)
    await settle()
    byId('save-as-sync')!.click()
    await settle()
    expect((byId('sync-name')!.querySelector('input') as HTMLInputElement).value).toBe('CRM-weekly')
    byId('sync-save')!.click()
    await settle()
    expect(s.save).toHaveBeenCalledTimes(1)
    const d = s.save.mock.calls[0][0] as SyncDefinition
    expect(d).toMatchObject({
      name: 'CRM-weekly',
      input: '/data/crm/customers.csv',
      mappings: [
        { column: 'email', type: 'email' },
        { column: 'phone', type: 'phone' },
      ],
      region: 'CA',
      phone_format: 'e164',
      layout: 'combined',
      audience_id: AUD,
      audience_name: '',
      mode: 'mirror',
    })
    expect(byId('open-syncs')).not.toBeNull()
  })

  it('passes the folder just uploaded, so the sync starts from that upload, and says so', async () => {
    const pinia = createPinia()
    setActivePinia(pinia)
    const wiz = useWizardStore()
    wiz.file = { path: '/data/crm/customers.csv', name: 'customers.csv', size: 100, modified: '', estimated_rows: 3 } as never
    wiz.columns = [{ name: 'email', pii: true, type: 'email' }]
    wiz.audience = 'CRM weekly'
    wiz.run.outputDir = '/out/CRM-weekly-20261201'
    const up = useUploadStore()
    up.run.audienceIds = [AUD]
    up.run.state = 'succeeded'
    up.run.outputDir = '/out/CRM-weekly-20261201'
    s.save.mockImplementationOnce(async (d: SyncDefinition) => ({
      definition: d,
      adopted: { sync: d.name, audience_id: AUD, job_id: 'j1', uploaded_at: '2026-12-01T10:00:00Z', rows: 3 },
    }))
    mountWith(SaveAsSyncButton, pinia)
    await settle()
    byId('save-as-sync')!.click()
    await settle()
    byId('sync-save')!.click()
    await settle()
    expect(s.save).toHaveBeenCalledWith(expect.objectContaining({ audience_id: AUD }), '/out/CRM-weekly-20261201')
    expect(document.body.textContent).toContain('It starts from this upload')
  })

  it('says why the upload was not taken when the engine refuses it', async () => {
    const pinia = createPinia()
    setActivePinia(pinia)
    const wiz = useWizardStore()
    wiz.file = { path: '/data/crm/customers.csv', name: 'customers.csv', size: 100, modified: '', estimated_rows: 3 } as never
    wiz.columns = [{ name: 'email', pii: true, type: 'email' }]
    wiz.audience = 'CRM weekly'
    const up = useUploadStore()
    up.run.audienceIds = [AUD]
    up.run.state = 'succeeded'
    up.run.outputDir = '/out/CRM-weekly-20261201'
    s.save.mockImplementationOnce(async (d: SyncDefinition) => ({
      definition: d,
      not_adopted: 'The upload was not taken as the sync’s record: the upload has not finished; its first run sends the whole list with REPLACE.',
    }))
    mountWith(SaveAsSyncButton, pinia)
    await settle()
    byId('save-as-sync')!.click()
    await settle()
    byId('sync-save')!.click()
    await settle()
    expect(document.body.textContent).toContain('its first run sends the whole list with REPLACE')
  })
})

describe('Save as sync after a Clean Rooms pick', () => {
  beforeEach(() => {
    document.body.innerHTML = ''
    vi.clearAllMocks()
  })

  it('offers always the newest result of this analysis, and can pin the one query instead', async () => {
    const pinia = createPinia()
    setActivePinia(pinia)
    const wiz = useWizardStore()
    wiz.file = { path: 'cleanrooms://m-retail/q-2026-11-30', name: 'q-2026-11-30', size: 100, modified: '', estimated_rows: 3 } as never
    wiz.columns = [{ name: 'email', pii: true, type: 'email' }]
    wiz.audience = 'Clean room buyers'
    const up = useUploadStore()
    up.run.audienceIds = [AUD]
    mountWith(SaveAsSyncButton, pinia)
    await settle()
    byId('save-as-sync')!.click()
    await settle()
    expect(byId('sync-cleanrooms-source')!.textContent).toContain('Always the newest result of this analysis')
    expect((byId('sync-input')!.querySelector('input') as HTMLInputElement).value).toBe('cleanrooms://m-retail/latest?like=q-2026-11-30')
    byId('sync-save')!.click()
    await settle()
    expect((s.save.mock.calls[0][0] as SyncDefinition).input).toBe('cleanrooms://m-retail/latest?like=q-2026-11-30')
  })
})
