import { describe, it, expect, vi, beforeEach } from 'vitest'
import { mountWith, flush } from './helpers'
import type { AudienceList, AudienceRow } from '../api/audiences'

vi.mock('../api', () => ({
  audiencesApi: {
    list: vi.fn(),
    rename: vi.fn(async () => undefined),
    remove: vi.fn(async () => undefined),
    createLookalike: vi.fn(async () => '7300000000000009999'),
  },
}))
import { audiencesApi } from '../api'
import AudiencesView from '../views/AudiencesView.vue'

const a = audiencesApi as unknown as Record<string, ReturnType<typeof vi.fn>>
const ADV = '7000000000000000001'
const row = (over: Partial<AudienceRow>): AudienceRow => ({
  platform: 'tiktok',
  id: '7300000000000000101',
  name: 'Weekly customers',
  type: 'Customer File',
  calculate_type: 'EMAIL_SHA256',
  matched_users: 14000,
  status: 'ready',
  status_text: 'ready for use',
  size_lower: 14000,
  size_upper: 14000,
  size: '14,000',
  created: '2026-11-28T10:00:00Z',
  shared: false,
  lookalike: false,
  syncs: ['crm weekly'],
  ...over,
})
const ACT = 'act_100000000000001'
const list = (rows: AudienceRow[], over: Partial<AudienceList> = {}): AudienceList => ({ advertiser_id: ADV, ad_account: '', audiences: rows, ...over })
const metaRow = (over: Partial<AudienceRow>): AudienceRow =>
  row({ platform: 'meta', id: '23850000000000101', name: 'Meta buyers', type: 'Customer list', calculate_type: '', syncs: [], ...over })
const byId = (id: string) => document.body.querySelector(`[data-testid="${id}"]`) as HTMLElement | null
const buttons = (testid: string) => Array.from(document.body.querySelectorAll(`[data-testid="${testid}"]`)) as HTMLButtonElement[]
const settle = async () => {
  for (let i = 0; i < 5; i++) await flush()
}
function type(el: HTMLElement | null, value: string) {
  const input = (el?.querySelector('input') ?? el) as HTMLInputElement
  input.value = value
  input.dispatchEvent(new Event('input'))
}

// The machine running the suite is shared: mounting Naive UI's table and modals can take seconds.
vi.setConfig({ testTimeout: 30000 })

describe('AudiencesView', () => {
  beforeEach(() => {
    document.body.innerHTML = ''
    vi.clearAllMocks()
  })

  it('lists every audience with its kind, status, matched users, created and the syncs feeding it', async () => {
    a.list.mockResolvedValue(
      list([
        row({}),
        row({ id: '7300000000000000202', name: 'Fresh upload', status: 'processing', matched_users: 0, syncs: [] }),
        row({ id: '7300000000000000303', name: 'Old list', status: 'expiring', matched_users: 2100, syncs: [] }),
        row({ id: '7300000000000000404', name: 'Partner list', shared: true, syncs: [] }),
      ]),
    )
    mountWith(AudiencesView)
    await settle()
    const text = byId('audiences-table')!.textContent!
    for (const s of ['Weekly customers', '7300000000000000101', 'Customer File', '14,000', 'Ready', 'crm weekly', 'Processing', 'Expiring', 'Customer File (shared)']) {
      expect(text).toContain(s)
    }
    expect(document.body.textContent).toContain(`advertiser ${ADV}`)
    // Another advertiser's audience cannot be renamed or deleted from here.
    expect(buttons('delete')[3].disabled).toBe(true)
    expect(buttons('rename')[0].disabled).toBe(false)
  })

  it('says what happened and what to do when the list fails', async () => {
    a.list.mockRejectedValue(new Error('No TikTok advertiser is set. Open Settings > TikTok, enter the advertiser id and save a token.'))
    mountWith(AudiencesView)
    await settle()
    expect(byId('audiences-error')!.textContent).toContain('Open Settings > TikTok')
  })

  it('renames an audience and shows the new name', async () => {
    a.list.mockResolvedValueOnce(list([row({})])).mockResolvedValueOnce(list([row({ name: 'CRM – all customers' })]))
    mountWith(AudiencesView)
    await settle()
    buttons('rename')[0].click()
    await settle()
    type(byId('rename-input'), 'CRM – all customers')
    await settle()
    byId('rename-save')!.click()
    await settle()
    expect(a.rename).toHaveBeenCalledWith('tiktok', '7300000000000000101', 'CRM – all customers')
    expect(byId('audiences-table')!.textContent).toContain('CRM – all customers')
  })

  it('shows why a rename failed and keeps the dialog open', async () => {
    a.list.mockResolvedValue(list([row({})]))
    a.rename.mockRejectedValueOnce(new Error('Audience 7300000000000000101 was not renamed: audience does not exist. Press Refresh to see its current name, then try again.'))
    mountWith(AudiencesView)
    await settle()
    buttons('rename')[0].click()
    await settle()
    type(byId('rename-input'), 'new')
    await settle()
    byId('rename-save')!.click()
    await settle()
    expect(byId('rename-error')!.textContent).toContain('Press Refresh')
  })

  it('asks before deleting, naming the audience and the syncs that feed it', async () => {
    a.list.mockResolvedValueOnce(list([row({})])).mockResolvedValueOnce(list([]))
    mountWith(AudiencesView)
    await settle()
    buttons('delete')[0].click()
    await settle()
    const dlg = document.body.querySelector('.n-dialog') as HTMLElement
    expect(dlg.textContent).toContain('Delete the audience “Weekly customers”?')
    expect(dlg.textContent).toContain('“crm weekly”')
    expect(a.remove).not.toHaveBeenCalled()
    const confirm = Array.from(dlg.querySelectorAll('button')).find((b) => b.textContent?.trim() === 'Delete “Weekly customers”') as HTMLElement
    confirm.click()
    await settle()
    expect(a.remove).toHaveBeenCalledWith('tiktok', '7300000000000000101')
  })

  it('creates a lookalike with every field TikTok requires', async () => {
    a.list.mockResolvedValue(list([row({}), row({ id: '7300000000000000505', name: 'A lookalike', type: 'Lookalike', lookalike: true, syncs: [] })]))
    mountWith(AudiencesView)
    await settle()
    expect(buttons('lookalike')[1].disabled).toBe(true) // a lookalike cannot seed another
    buttons('lookalike')[0].click()
    await settle()
    type(byId('lal-name'), 'Lookalike of weekly')
    await settle()
    byId('lal-create')!.click()
    await settle()
    expect(a.createLookalike).toHaveBeenCalledWith({
      source_id: '7300000000000000101',
      name: 'Lookalike of weekly',
      audience_size: 'BALANCED',
      location_ids: ['6252001'],
      mobile_os: 'ALL',
      placements: ['TIKTOK'],
      include_source: false,
    })
    expect(document.body.textContent).toContain('Lookalike “Lookalike of weekly” created')
  })

  it('shows TikTok’s refusal of a lookalike in the dialog', async () => {
    a.list.mockResolvedValue(list([row({})]))
    a.createLookalike.mockRejectedValueOnce(new Error('The lookalike was not created: The source audience must have at least 100 users. Correct the choice in the dialog and try again.'))
    mountWith(AudiencesView)
    await settle()
    buttons('lookalike')[0].click()
    await settle()
    byId('lal-create')!.click()
    await settle()
    expect(byId('lal-error')!.textContent).toContain('at least 100 users')
  })

  it('lists Meta audiences beside TikTok ones with platform, size in words and status in words', async () => {
    a.list.mockResolvedValue(
      list(
        [
          row({}),
          metaRow({ status: 'not_ready', status_text: 'too small to be used yet', size_lower: 40, size_upper: 40, size: 'fewer than 1,000' }),
          metaRow({ id: '23850000000000202', name: 'Meta big', size: '1,200 to 1,400', size_lower: 1200, size_upper: 1400 }),
        ],
        { ad_account: ACT },
      ),
    )
    mountWith(AudiencesView)
    await settle()
    expect(byId('platform-7300000000000000101')!.textContent).toBe('TikTok')
    expect(byId('platform-23850000000000101')!.textContent).toBe('Meta')
    expect(byId('size-23850000000000101')!.textContent).toBe('fewer than 1,000')
    expect(byId('size-23850000000000202')!.textContent).toBe('1,200 to 1,400')
    expect(byId('size-7300000000000000101')!.textContent).toBe('14,000')
    expect(byId('status-23850000000000101')!.textContent).toContain('Not ready')
    expect(byId('status-23850000000000101')!.textContent).toContain('too small to be used yet')
    expect(document.body.textContent).toContain(`Meta audiences of ad account ${ACT}`)
    // Lookalikes are TikTok's; a Meta audience is renamed and deleted at Meta.
    expect(buttons('lookalike')[1].disabled).toBe(true)
    buttons('delete')[1].click()
    await settle()
    const dlg = document.body.querySelector('.n-dialog') as HTMLElement
    expect(dlg.textContent).toContain(`deleted at Meta in ad account ${ACT}`)
    ;(Array.from(dlg.querySelectorAll('button')).find((b) => b.textContent?.trim() === 'Delete “Meta buyers”') as HTMLElement).click()
    await settle()
    expect(a.remove).toHaveBeenCalledWith('meta', '23850000000000101')
  })

  it('lists one platform and says why the other is missing', async () => {
    a.list.mockResolvedValue(list([row({})], { meta_error: 'No Meta token is saved for this ad account. Paste the system-user token in Settings > Meta and save it.' }))
    mountWith(AudiencesView)
    await settle()
    expect(byId('audiences-table')!.textContent).toContain('Weekly customers')
    expect(byId('platform-error')!.textContent).toContain('Paste the system-user token in Settings > Meta')
  })
})
