import { describe, it, expect, vi, beforeEach } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { mountWith, flush, fileInfo, schema } from './helpers'
import type { CleanRoomsQuery, CloudStatus } from '../api'

vi.mock('../api', () => ({
  api: {
    inspectFile: vi.fn(),
    discoverInput: vi.fn(),
    recentFiles: vi.fn(async () => []),
    history: vi.fn(),
  },
  authApi: { restore: vi.fn(), status: vi.fn() },
  cleanRoomsApi: { memberships: vi.fn(), queries: vi.fn(), result: vi.fn() },
  cleanRoomsInput: (m: string, q: string) => `cleanrooms://${m}/${q}`,
}))
import { api, authApi, cleanRoomsApi } from '../api'
import { useAuthStore } from '../stores/auth'
import { useWizardStore } from '../stores/wizard'
import CleanRoomsBrowser from '../components/auth/CleanRoomsBrowser.vue'
import SelectFileStep from '../components/steps/SelectFileStep.vue'
import HistoryView from '../views/HistoryView.vue'

const a = authApi as unknown as Record<string, ReturnType<typeof vi.fn>>
const c = cleanRoomsApi as unknown as Record<string, ReturnType<typeof vi.fn>>
const m = api as unknown as Record<string, ReturnType<typeof vi.fn>>

const chain = (over: Partial<CloudStatus> = {}): CloudStatus => ({
  credential_source: 'aws-chain',
  cognito_configured: false,
  s3_ready: false,
  aws_ready: true,
  bucket: '',
  prefix: '',
  auth: { signed_in: false, remembered: false, keychain_available: true },
  ...over,
})

async function loaded(st: CloudStatus) {
  const pinia = createPinia()
  setActivePinia(pinia)
  a.restore.mockResolvedValue(st)
  a.status.mockResolvedValue(st)
  await useAuthStore().load()
  return pinia
}

const retail = {
  id: 'm-recv',
  collaboration_id: 'c-1',
  collaboration_name: 'Retail x Media',
  creator_display_name: 'Retailer',
  status: 'ACTIVE',
  can_receive_results: true,
  created: '2026-10-01T09:00:00Z',
}
const measurement = { ...retail, id: 'm-no', collaboration_name: 'Measurement', can_receive_results: false }
const queries: CleanRoomsQuery[] = [
  { id: 'q-run', membership_id: 'm-recv', status: 'STARTED', created: '2026-12-01T08:00:00Z' },
  { id: 'q-ok', membership_id: 'm-recv', status: 'SUCCESS', created: '2026-11-30T08:00:00Z', duration_ms: 184000, format: 'CSV' },
  {
    id: 'q-bad',
    membership_id: 'm-recv',
    status: 'FAILED',
    created: '2026-11-29T08:00:00Z',
    error_code: 'ANALYSIS_RULE_VIOLATION',
    error_message: 'Aggregation groups must have at least 100 distinct members.',
  },
]

describe('Step 1 AWS Clean Rooms tab', () => {
  beforeEach(() => {
    vi.clearAllMocks()
    document.body.innerHTML = ''
  })

  it('shows beside This computer with AWS credentials and no bucket, without the S3 tab', async () => {
    const pinia = await loaded(chain())
    const w = mountWith(SelectFileStep, pinia)
    await flush()
    expect(w.find('[data-testid="source-tabs"]').text()).toContain('AWS Clean Rooms')
    expect(w.find('[data-testid="source-tabs"]').text()).not.toContain('Amazon S3')
  })

  it('has no tab without AWS credentials', async () => {
    const pinia = await loaded(chain({ aws_ready: false, credential_source: 'cognito' }))
    const w = mountWith(SelectFileStep, pinia)
    await flush()
    expect(w.find('[data-testid="source-tabs"]').exists()).toBe(false)
  })

  it('lists collaborations (those that cannot receive results disabled with why), then queries, and opens a finished one as cleanrooms://', async () => {
    const pinia = await loaded(chain())
    c.memberships.mockResolvedValue({ memberships: [retail, measurement] })
    c.queries.mockResolvedValue(queries)
    const w = mountWith(CleanRoomsBrowser, pinia)
    await flush()
    const ms = w.findAll('[data-testid="cr-membership"]')
    expect(ms).toHaveLength(2)
    expect(ms[1].attributes('disabled')).toBeDefined()
    expect(w.find('[data-testid="cr-membership-why"]').text()).toContain('cannot receive results')

    await ms[0].trigger('click')
    await flush()
    expect(c.queries).toHaveBeenCalledWith('m-recv')
    expect(w.find('[data-testid="cr-crumbs"]').text()).toContain('Retail x Media')
    const rows = w.findAll('[data-testid="cr-query"]')
    expect(rows.map((r) => r.attributes('data-status'))).toEqual(['STARTED', 'SUCCESS', 'FAILED'])
    expect(rows[0].text()).toContain('Running')
    expect(rows[1].text()).toContain('3 min 4 s')
    expect(rows[1].text()).toContain('CSV')
    expect(w.find('[data-testid="cr-query-error"]').text()).toBe(
      'Aggregation groups must have at least 100 distinct members. (ANALYSIS_RULE_VIOLATION)',
    )
    expect(w.find('[data-testid="cr-running-note"]').text()).toContain('One query is still running: press Refresh')

    // A running query: Go's sentence shows in the tab; nothing opens.
    c.result.mockRejectedValueOnce(new Error('Protected query q-run is still running (status STARTED, started 2026-12-01 08:00:00): try again when it has finished.'))
    await rows[0].find('[data-testid="cr-query-pick"]').trigger('click')
    await flush()
    expect(w.find('[data-testid="cr-error"]').text()).toContain('is still running')
    expect(m.inspectFile).not.toHaveBeenCalled()

    // A finished one goes through the usual discovery as cleanrooms://M/Q.
    c.result.mockResolvedValueOnce({ query: queries[1], url: 's3://results/q-ok/' })
    m.inspectFile.mockResolvedValue({ ...fileInfo, path: 'cleanrooms://m-recv/q-ok', name: 'cleanrooms://m-recv/q-ok', parts: 3 })
    m.discoverInput.mockResolvedValue(schema)
    await rows[1].find('[data-testid="cr-query-pick"]').trigger('click')
    await flush()
    await flush()
    expect(c.result).toHaveBeenLastCalledWith('m-recv', 'q-ok')
    expect(m.inspectFile).toHaveBeenCalledWith('cleanrooms://m-recv/q-ok')
    expect(useWizardStore().file?.path).toBe('cleanrooms://m-recv/q-ok')
    expect(w.find('[data-testid="cr-error"]').exists()).toBe(false)
  })

  it("shows the note when no membership can receive results, and AWS's denial on refresh", async () => {
    const pinia = await loaded(chain())
    const note = 'None of your 1 AWS Clean Rooms memberships can receive results, so there is no query result to read.'
    c.memberships.mockResolvedValueOnce({ memberships: [measurement], note })
    const w = mountWith(CleanRoomsBrowser, pinia)
    await flush()
    expect(w.find('[data-testid="cr-note"]').text()).toBe(note)
    c.memberships.mockRejectedValueOnce(new Error('Listing your AWS Clean Rooms memberships: AWS denied cleanrooms:ListMemberships to these credentials.'))
    await w.find('[data-testid="cr-refresh"]').trigger('click')
    await flush()
    expect(w.find('[data-testid="cr-error"]').text()).toContain('cleanrooms:ListMemberships')
  })

  it('History names the collaboration and query a run read', async () => {
    setActivePinia(createPinia())
    m.history.mockResolvedValue([
      {
        id: 7,
        started_at: '2026-12-01T09:00:00Z',
        finished_at: '2026-12-01T09:00:02Z',
        audience: 'Retail lift',
        input: 'cleanrooms://m-recv/q-ok',
        origin: {
          kind: 'cleanrooms',
          collaboration_id: 'c-1',
          collaboration_name: 'Retail x Media',
          membership_id: 'm-recv',
          query_id: 'q-ok',
          result_url: 's3://results/q-ok/',
        },
        input_bytes: 100,
        format: 'auto',
        layout: 'combined',
        region: 'US',
        phone_format: 'digits',
        mappings: [{ column: 'email', type: 'email' }],
        output_dir: '/out/Retail-lift',
        status: 'succeeded',
        rows_read: 3,
        rows_written: 3,
      },
    ])
    const w = mountWith(HistoryView)
    await flush()
    await flush()
    const o = w.find('[data-testid="history-origin"]')
    expect(o.text()).toBe('AWS Clean Rooms · Retail x Media · query q-ok')
    expect(o.attributes('title')).toContain('Collaboration c-1, membership m-recv')
  })
})
