// Issue 10 in the wizard: a folder of parts (native dialog), the Excel sheet
// picker and the "no header row found" switch, each passed through discovery,
// preview and the run.
import { describe, it, expect, vi, beforeEach } from 'vitest'
import { createPinia, setActivePinia, type Pinia } from 'pinia'
import { fileInfo, schema, preview, mountWith, flush } from './helpers'
import type { FileInfo, Schema } from '../api/types'
import { NSelect } from 'naive-ui'

vi.mock('../api', () => ({
  api: {
    inspectFile: vi.fn(),
    discoverInput: vi.fn(),
    recentFiles: vi.fn(async () => []),
    preview: vi.fn(),
    startRun: vi.fn(),
    chooseFile: vi.fn(async () => ''),
    chooseInputFolder: vi.fn(),
  },
}))
import { api } from '../api'
import { useWizardStore, defaultAudienceName } from '../stores/wizard'
import SelectFileStep from '../components/steps/SelectFileStep.vue'
import ColumnsStep from '../components/steps/ColumnsStep.vue'

const m = api as unknown as Record<string, ReturnType<typeof vi.fn>>

const folder: FileInfo = {
  path: '/data/q-123',
  name: 'q-123',
  size: 1.4 * 1024 ** 3,
  modified: '2026-11-28T10:00:00Z',
  estimated_rows: 5_000_000,
  parts: 12,
  part_names: ['q-123/part-00000.csv.gz', 'q-123/part-00001.csv.gz', 'q-123/part-00002.csv.gz', 'q-123/part-00003.csv.gz', 'q-123/part-00004.csv.gz', 'q-123/part-00005.csv.gz'],
}

const workbook: FileInfo = { ...fileInfo, path: '/data/list.xlsx', name: 'list.xlsx', estimated_rows: -1 }
const sheetSchema = (sheet: string): Schema =>
  sheet === 'Phones only'
    ? {
        name: 'list.xlsx',
        format: 'xlsx',
        records_sampled: 40,
        header_row: false,
        header_reason: 'the first row holds a phone number',
        sheet,
        sheets: ['Customers', 'Phones only', 'Empty'],
        fields: [
          { name: 'column_1', type: 'string', fill_rate: 1, samples: ['16135550000'], suggestion: { type: 'phone', confidence: 0.9, reason: 'values' } },
        ],
      }
    : { ...schema, name: 'list.xlsx', format: 'xlsx', header_row: true, sheet: 'Customers', sheets: ['Customers', 'Phones only', 'Empty'] }

const headerless: Schema = {
  name: 'list.txt',
  format: 'csv',
  records_sampled: 3,
  header_row: false,
  header_reason: 'the first row holds an e-mail address',
  fields: [
    { name: 'column_1', type: 'string', fill_rate: 1, samples: ['jane@example.com'], suggestion: { type: 'email', confidence: 1, reason: 'values' } },
    { name: 'column_2', type: 'string', fill_rate: 1, samples: ['x'], suggestion: null },
  ],
}
const withHeader: Schema = {
  ...headerless,
  header_row: true,
  header_reason: undefined,
  records_sampled: 2,
  fields: [{ name: 'jane@example.com', type: 'string', fill_rate: 1, samples: ['sam@example.org'], suggestion: { type: 'email', confidence: 1, reason: 'values' } }],
}

describe('folders of parts, sheets and header rows', () => {
  let pinia: Pinia
  beforeEach(() => {
    pinia = createPinia()
    setActivePinia(pinia)
    vi.clearAllMocks()
    document.body.innerHTML = ''
    m.preview.mockResolvedValue(preview)
    m.startRun.mockResolvedValue({ job_id: 1, output_dir: '/out/x', input: 'x' })
  })

  it('Choose folder… opens the picked folder and shows its parts; a cancelled dialog changes nothing', async () => {
    m.inspectFile.mockResolvedValue(folder)
    m.discoverInput.mockResolvedValue(schema)
    m.chooseInputFolder.mockResolvedValueOnce('')
    const w = mountWith(SelectFileStep, pinia)
    await w.find('[data-testid="browse-folder"]').trigger('click')
    await flush()
    expect(m.inspectFile).not.toHaveBeenCalled()

    m.chooseInputFolder.mockResolvedValueOnce('/data/q-123')
    await w.find('[data-testid="browse-folder"]').trigger('click')
    await vi.waitFor(() => expect(w.find('[data-testid="file-card"]').exists()).toBe(true))
    expect(m.inspectFile).toHaveBeenCalledWith('/data/q-123')
    expect(m.discoverInput).toHaveBeenCalledWith({ path: '/data/q-123', region: 'US', header: 'auto', sheet: '' })
    expect(w.find('[data-testid="file-parts"]').text()).toBe('12 parts, 1.4 GB')
    const names = w.find('[data-testid="part-names"]').text()
    expect(names).toContain('part-00000.csv.gz, part-00001.csv.gz')
    expect(names).not.toContain('q-123/')
    expect(names).not.toContain('part-00005')
    expect(names).toContain('and 7 more')
    expect(useWizardStore().audience).toBe('q 123')
  })

  it('an S3 prefix lists its parts without the prefix and shows no modification time', async () => {
    m.inspectFile.mockResolvedValue({
      ...folder,
      path: 's3://demo-data/results/q-123/',
      name: 's3://demo-data/results/q-123/',
      modified: '0001-01-01T00:00:00Z',
      parts: 2,
      part_names: ['s3://demo-data/results/q-123/part-00000.snappy.parquet', 's3://demo-data/results/q-123/part-00001.snappy.parquet'],
    })
    m.discoverInput.mockResolvedValue({ ...schema, format: 'parquet', rows: 4750 })
    await useWizardStore().openFile('s3://demo-data/results/q-123/')
    const w = mountWith(SelectFileStep, pinia)
    await flush()
    const card = w.find('[data-testid="file-card"]').text()
    expect(w.find('[data-testid="part-names"]').text()).toBe('part-00000.snappy.parquet, part-00001.snappy.parquet')
    expect(card).not.toContain('Modified')
    expect(card).toContain('Rows')
    expect(card).toContain('4,750')
    expect(card).not.toContain('estimate')
  })

  it('a folder dialog that cannot open says what to do instead', async () => {
    m.chooseInputFolder.mockRejectedValue(new Error("The folder dialog could not open (no display). Type the folder's full path instead."))
    const wiz = useWizardStore()
    await wiz.chooseFolder()
    expect(wiz.error).toContain("Type the folder's full path instead")
    expect(wiz.file).toBeNull()
  })

  it('the sheet picker lists the sheets, reads the chosen one, and passes it to preview and the run', async () => {
    m.inspectFile.mockResolvedValue(workbook)
    m.discoverInput.mockImplementation(async (req: { sheet?: string }) => sheetSchema(req.sheet || 'Customers'))
    const wiz = useWizardStore()
    await wiz.openFile('/data/list.xlsx')
    expect(wiz.sheet).toBe('Customers')
    const w = mountWith(SelectFileStep, pinia)
    await flush()
    expect(w.find('[data-testid="sheet-select"]').text()).toContain('Customers')
    expect(w.text()).toContain('The workbook has 3 sheets')

    // The picker offers every sheet; its choice goes through the store.
    const select = w.findComponent(NSelect)
    expect((select.props('options') as { value: string }[]).map((o) => o.value)).toEqual(['Customers', 'Phones only', 'Empty'])
    select.vm.$emit('update:value', 'Phones only')
    await vi.waitFor(() => expect(wiz.schema?.sheet).toBe('Phones only'))
    expect(m.discoverInput).toHaveBeenLastCalledWith({ path: '/data/list.xlsx', region: 'US', header: 'auto', sheet: 'Phones only' })
    expect(wiz.columns).toEqual([{ name: 'column_1', pii: true, type: 'phone' }])

    wiz.audience = 'Phones'
    await wiz.loadPreview()
    expect(m.preview.mock.calls[0][0]).toMatchObject({ path: '/data/list.xlsx', sheet: 'Phones only', mappings: [{ column: 'column_1', type: 'phone' }] })
    await wiz.startRun()
    expect(m.startRun.mock.calls[0][0]).toMatchObject({ path: '/data/list.xlsx', sheet: 'Phones only' })
  })

  it('a sheet that cannot be read keeps the sheet that was open and shows the reason', async () => {
    m.inspectFile.mockResolvedValue(workbook)
    m.discoverInput.mockResolvedValueOnce(sheetSchema('Customers'))
    const wiz = useWizardStore()
    await wiz.openFile('/data/list.xlsx')
    m.discoverInput.mockRejectedValueOnce(new Error('list.xlsx, sheet "Empty", is empty. Choose another sheet, or choose another file.'))
    await wiz.setSheet('Empty')
    expect(wiz.error).toContain('sheet "Empty", is empty')
    expect(wiz.sheet).toBe('Customers')
    expect(wiz.schema?.sheet).toBe('Customers')
    expect(wiz.columns.map((c) => c.name)).toEqual(['customer_id', 'email', 'phone'])
  })

  it('says "No header row found" and why; choosing Yes reads the first row as names, for preview and the run too', async () => {
    m.inspectFile.mockResolvedValue({ ...fileInfo, path: '/data/list.txt', name: 'list.txt' })
    m.discoverInput.mockImplementation(async (req: { header?: string }) => (req.header === 'yes' ? withHeader : headerless))
    const wiz = useWizardStore()
    await wiz.openFile('/data/list.txt')
    const w = mountWith(ColumnsStep, pinia)
    await flush()
    const note = w.find('[data-testid="no-header"]')
    expect(note.text()).toContain('No header row found')
    expect(note.text()).toContain('The first row holds an e-mail address, so every row is read as data')
    expect(note.text()).toContain('column_1 to column_2')
    expect(w.find('[data-testid="header-state"]').text()).toBe('Read as data.')

    await w.find('[data-testid="header-yes"] input').trigger('change')
    await vi.waitFor(() => expect(wiz.header).toBe('yes'))
    await flush()
    expect(m.discoverInput).toHaveBeenLastCalledWith({ path: '/data/list.txt', region: 'US', header: 'yes', sheet: '' })
    expect(w.find('[data-testid="no-header"]').exists()).toBe(false)
    expect(w.find('[data-testid="header-state"]').text()).toBe('Read as column names.')
    expect(wiz.columns).toEqual([{ name: 'jane@example.com', pii: true, type: 'email' }])

    await wiz.loadPreview()
    expect(m.preview.mock.calls[0][0]).toMatchObject({ header: 'yes' })
    wiz.audience = 'List'
    await wiz.startRun()
    expect(m.startRun.mock.calls[0][0]).toMatchObject({ header: 'yes' })
  })

  it('a header answer that cannot be applied keeps the columns and shows the reason', async () => {
    m.inspectFile.mockResolvedValue({ ...fileInfo, path: '/data/list.txt', name: 'list.txt' })
    m.discoverInput.mockResolvedValueOnce(headerless)
    const wiz = useWizardStore()
    await wiz.openFile('/data/list.txt')
    m.discoverInput.mockRejectedValueOnce(new Error('list.txt could not be opened: permission denied. Choose the file again.'))
    await wiz.setHeader('yes')
    expect(wiz.header).toBe('auto')
    expect(wiz.error).toContain('Choose the file again.')
    expect(wiz.columns.map((c) => c.name)).toEqual(['column_1', 'column_2'])
  })

  it('a new file starts with detection and the first sheet again', async () => {
    m.inspectFile.mockResolvedValueOnce({ ...fileInfo, path: '/data/list.txt', name: 'list.txt' })
    m.discoverInput.mockResolvedValue(headerless)
    const wiz = useWizardStore()
    await wiz.openFile('/data/list.txt')
    await wiz.setHeader('no')
    m.inspectFile.mockResolvedValueOnce(fileInfo)
    await wiz.openFile('/data/customers.csv')
    expect(m.discoverInput).toHaveBeenLastCalledWith({ path: '/data/customers.csv', region: 'US', header: 'auto', sheet: '' })
  })

  it.each([
    ['list.csv.zst', 'list'],
    ['list.csv.bz2', 'list'],
    ['q-123/', 'q 123'],
    ['clean_rooms', 'clean rooms'],
  ])('names the audience after %s', (name, want) => {
    expect(defaultAudienceName(name)).toBe(want)
  })
})
