import { describe, it, expect, vi, beforeEach } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { fileInfo, schema, preview, manifest } from './helpers'

vi.mock('../api', () => ({
  api: {
    inspectFile: vi.fn(),
    discoverInput: vi.fn(),
    recentFiles: vi.fn(async () => []),
    preview: vi.fn(),
    startRun: vi.fn(),
    cancelRun: vi.fn(async () => true),
    chooseFile: vi.fn(),
  },
}))
import { api } from '../api'
import { useWizardStore, defaultAudienceName } from '../stores/wizard'

const m = api as unknown as Record<string, ReturnType<typeof vi.fn>>

describe('wizard store', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    vi.clearAllMocks()
    m.inspectFile.mockResolvedValue(fileInfo)
    m.discoverInput.mockResolvedValue(schema)
    m.preview.mockResolvedValue(preview)
  })

  it('opens a file, pre-fills PII types from suggestions and a default name', async () => {
    const w = useWizardStore()
    await w.openFile('/data/customers.csv')
    expect(m.discoverInput).toHaveBeenCalledWith({ path: '/data/customers.csv', region: 'US', header: 'auto', sheet: '' })
    expect(w.columns).toEqual([
      { name: 'customer_id', pii: false, type: null },
      { name: 'email', pii: true, type: 'email' },
      { name: 'phone', pii: true, type: 'phone' },
    ])
    expect(w.audience).toBe('customers')
    expect(w.maxStep).toBe(3)
  })

  it('reports a failed open as the sentence from Go and keeps no file', async () => {
    m.inspectFile.mockRejectedValue(new Error('The file x.csv does not exist any more. Choose another file.'))
    const w = useWizardStore()
    await w.openFile('/x.csv')
    expect(w.error).toBe('The file x.csv does not exist any more. Choose another file.')
    expect(w.file).toBeNull()
    expect(w.maxStep).toBe(0)
  })

  it.each([
    ['', 'Give the audience a name'],
    ['a'.repeat(129), '129 characters'],
    ['ok', ''],
    ['é'.repeat(128), ''],
  ])('validates audience name %#', (name, want) => {
    const w = useWizardStore()
    w.audience = name
    if (want) expect(w.audienceError).toContain(want)
    else expect(w.audienceError).toBe('')
  })

  it('requires a type for each PII column and at least one identifier', async () => {
    const w = useWizardStore()
    await w.openFile('/data/customers.csv')
    w.setPii('email', false)
    w.setPii('phone', false)
    expect(w.columnErrors).toHaveLength(1)
    expect(w.columnErrors[0]).toContain('at least one column')
    expect(w.maxStep).toBe(2)
    w.setPii('customer_id', true)
    expect(w.columnErrors[0]).toContain('“customer_id” needs a PII type')
    w.setType('customer_id', 'email')
    expect(w.columnErrors).toEqual([])
    expect(w.mappings).toEqual([{ column: 'customer_id', type: 'email' }])
  })

  it('keeps choices when going back and forward, and does not rediscover the same file', async () => {
    const w = useWizardStore()
    await w.openFile('/data/customers.csv')
    w.goTo(1)
    w.audience = 'Buyers'
    w.region = 'GB'
    w.goTo(2)
    w.setPii('phone', false)
    w.goTo(0)
    await w.openFile('/data/customers.csv')
    expect(m.discoverInput).toHaveBeenCalledTimes(1)
    w.goTo(2)
    expect(w.step).toBe(2)
    expect(w.audience).toBe('Buyers')
    expect(w.region).toBe('GB')
    expect(w.columns.find((c) => c.name === 'phone')?.pii).toBe(false)
  })

  it('does not skip ahead past an unfinished step', async () => {
    const w = useWizardStore()
    w.goTo(3)
    expect(w.step).toBe(0)
  })

  it('loads the preview once per choice set and estimates valid rows', async () => {
    const w = useWizardStore()
    await w.openFile('/data/customers.csv')
    w.goTo(3)
    await vi.waitFor(() => expect(w.preview).not.toBeNull())
    await w.loadPreview()
    expect(m.preview).toHaveBeenCalledTimes(1)
    expect(m.preview.mock.calls[0][0]).toMatchObject({ path: '/data/customers.csv', rows: 20, region: 'US', phone_format: 'digits' })
    expect(w.estimatedValidRows).toBe(20) // 40 rows x best share 0.5
  })

  it('runs: start, progress, done; ignores events of other jobs', async () => {
    m.startRun.mockResolvedValue({ job_id: 7, output_dir: '/out/x', input: 'customers.csv' })
    const w = useWizardStore()
    await w.openFile('/data/customers.csv')
    await w.startRun()
    expect(w.step).toBe(4)
    expect(w.run.state).toBe('running')
    expect(m.startRun.mock.calls[0][0]).toMatchObject({ audience: 'customers', layout: 'combined', mappings: [{ column: 'email', type: 'email' }, { column: 'phone', type: 'phone' }] })
    w.goTo(1)
    expect(w.step).toBe(4) // no leaving the run page mid-run through the steps
    w.onProgress({ job_id: 8, rows: 5, bytes_read: 1, bytes_total: 2, elapsed_ms: 1, rows_per_second: 1, eta_seconds: 1, fraction: 0.5 })
    expect(w.run.progress).toBeNull()
    w.onProgress({ job_id: 7, rows: 5, bytes_read: 1, bytes_total: 2, elapsed_ms: 1, rows_per_second: 1, eta_seconds: 1, fraction: 0.5 })
    expect(w.run.progress?.rows).toBe(5)
    w.onDone({ job_id: 7, status: 'succeeded', output_dir: '/out/x', manifest })
    expect(w.run.state).toBe('succeeded')
    expect(w.running).toBe(false)
  })

  it('shows a refused start as a failed run with the reason', async () => {
    m.startRun.mockRejectedValue(new Error('A transform is already running. Wait for it to finish or cancel it first.'))
    const w = useWizardStore()
    await w.openFile('/data/customers.csv')
    await w.startRun()
    expect(w.run.state).toBe('failed')
    expect(w.run.error).toContain('already running')
  })

  it('derives a default audience name from a file name', () => {
    expect(defaultAudienceName('spring_buyers-2026.csv.gz')).toBe('spring buyers 2026')
  })
})
