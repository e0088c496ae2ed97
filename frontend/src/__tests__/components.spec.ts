import { describe, it, expect, vi, beforeEach } from 'vitest'
import { createPinia } from 'pinia'
import { fileInfo, schema, preview, manifest, mountWith, flush } from './helpers'

vi.mock('../api', () => ({
  api: {
    inspectFile: vi.fn(),
    discoverInput: vi.fn(),
    recentFiles: vi.fn(async () => [
      { path: '/data/old.csv', name: 'old.csv', size: 10, modified: '2026-01-01T00:00:00Z', exists: true },
      { path: '/data/gone.csv', name: 'gone.csv', size: 0, modified: '0001-01-01T00:00:00Z', exists: false },
    ]),
    preview: vi.fn(),
    startRun: vi.fn(),
    cancelRun: vi.fn(async () => true),
    openFolder: vi.fn(async () => undefined),
    exportReport: vi.fn(async () => '/out/report.json'),
    chooseFile: vi.fn(async () => ''),
  },
}))
import { api } from '../api'
import { useWizardStore } from '../stores/wizard'
import SelectFileStep from '../components/steps/SelectFileStep.vue'
import ColumnsStep from '../components/steps/ColumnsStep.vue'
import ConfirmStep from '../components/steps/ConfirmStep.vue'
import RunStep from '../components/steps/RunStep.vue'

const m = api as unknown as Record<string, ReturnType<typeof vi.fn>>

async function readyStore() {
  const pinia = createPinia()
  const { setActivePinia } = await import('pinia')
  setActivePinia(pinia)
  const w = useWizardStore()
  await w.openFile('/data/customers.csv')
  return { pinia, w }
}

describe('step components', () => {
  beforeEach(() => {
    vi.clearAllMocks()
    document.body.innerHTML = ''
    m.inspectFile.mockResolvedValue(fileInfo)
    m.discoverInput.mockResolvedValue(schema)
    m.preview.mockResolvedValue(preview)
  })

  it('Select file lists recent files and opens one on click; a missing one is disabled', async () => {
    const wrapper = mountWith(SelectFileStep)
    await flush()
    await flush()
    const items = wrapper.findAll('[data-testid="recent-item"]')
    expect(items).toHaveLength(2)
    expect(items[1].attributes('disabled')).toBeDefined()
    await items[0].trigger('click')
    await flush()
    expect(m.inspectFile).toHaveBeenCalledWith('/data/old.csv')
  })

  it('Select file opens a typed path with Enter', async () => {
    const wrapper = mountWith(SelectFileStep)
    const input = wrapper.find('[data-testid="path-input"] input')
    await input.setValue('/data/customers.csv')
    await input.trigger('keydown', { key: 'Enter' })
    await flush()
    expect(m.inspectFile).toHaveBeenCalledWith('/data/customers.csv')
  })

  it('Define columns masks samples until revealed and shows validation', async () => {
    const { pinia, w } = await readyStore()
    const wrapper = mountWith(ColumnsStep, pinia)
    const email = () => wrapper.find('[data-testid="samples-email"]').text()
    expect(email()).toBe('•••, •••')
    await wrapper.find('[aria-label="Reveal samples of email"]').trigger('click')
    expect(email()).toBe('jane@example.com, sam@example.org')
    await wrapper.find('[aria-label="Hide samples of email"]').trigger('click')
    expect(email()).not.toContain('@')
    expect(wrapper.findAll('[data-testid="column-error"]')).toHaveLength(0)
    w.setPii('email', false)
    w.setPii('phone', false)
    await flush()
    expect(wrapper.find('[data-testid="column-error"]').text()).toContain('Mark at least one column as PII')
  })

  it('Confirm shows hashes, masked originals, reasons and the small-audience warning', async () => {
    const { pinia, w } = await readyStore()
    w.goTo(3)
    await vi.waitFor(() => expect(w.preview).not.toBeNull())
    const wrapper = mountWith(ConfirmStep, pinia)
    await flush()
    const text = wrapper.text()
    expect(text).toContain('d6117306485ed0e50afab3ac871e98f81699151f30281527d63ff5f233656c69')
    expect(text).not.toContain('janedoe@gmail.com')
    expect(text).toContain('Not a possible phone number')
    expect(text).toContain('unterminated quote')
    expect(wrapper.find('[data-testid="low-rows-warning"]').text()).toContain("below TikTok's targeting minimum")
    await wrapper.find('[data-testid="reveal-originals"]').trigger('click')
    expect(wrapper.text()).toContain('janedoe@gmail.com')
  })

  it('Run shows progress, asks before cancelling, then the result with files and actions', async () => {
    m.startRun.mockResolvedValue({ job_id: 3, output_dir: '/out/run', input: 'customers.csv' })
    const { pinia, w } = await readyStore()
    await w.startRun()
    w.onProgress({ job_id: 3, rows: 12345, bytes_read: 50, bytes_total: 100, elapsed_ms: 2000, rows_per_second: 6172, eta_seconds: 2, fraction: 0.5 })
    const wrapper = mountWith(RunStep, pinia)
    await flush()
    expect(wrapper.text()).toContain('12,345')
    expect(wrapper.text()).toContain('6,172')
    await wrapper.find('[data-testid="cancel-run"]').trigger('click')
    await flush()
    expect(m.cancelRun).not.toHaveBeenCalled() // a confirmation comes first
    const confirm = [...document.querySelectorAll('button')].find((b) => b.textContent?.trim() === 'Cancel run')
    expect(confirm).toBeDefined()
    confirm!.click()
    await flush()
    expect(m.cancelRun).toHaveBeenCalledTimes(1)

    w.onDone({ job_id: 3, status: 'succeeded', output_dir: '/out/run', manifest })
    await flush()
    const text = wrapper.text()
    expect(text).toContain('35 rows written')
    expect(text).toContain('audience-part-001.csv')
    expect(text).toContain('2.2 KB')
    expect(text).toContain('Line 3: unterminated quote')
    await wrapper.find('[data-testid="open-folder"]').trigger('click')
    expect(m.openFolder).toHaveBeenCalledWith('/out/run')
    await wrapper.find('[data-testid="export-report"]').trigger('click')
    expect(m.exportReport).toHaveBeenCalledWith(3, '/out/run')
  })

  it('Run shows a cancelled run with what to do next', async () => {
    m.startRun.mockResolvedValue({ job_id: 4, output_dir: '/out/run', input: 'customers.csv' })
    const { pinia, w } = await readyStore()
    await w.startRun()
    w.onDone({ job_id: 4, status: 'cancelled', output_dir: '/out/run', error: 'The run was cancelled; its partial output was removed.' })
    const wrapper = mountWith(RunStep, pinia)
    await flush()
    expect(wrapper.find('[data-testid="run-failed"]').text()).toContain('partial output was removed')
  })
})
