import { defineStore } from 'pinia'
import {
  api,
  type DoneEvent,
  type FileInfo,
  type HeaderMode,
  type IdentifierType,
  type Layout,
  type Manifest,
  type Mapping,
  type PhoneFormat,
  type Platform,
  type PreviewResult,
  type ProgressEvent,
  type RecentFile,
  type Schema,
} from '../api'

export const STEPS = ['Select file', 'Define dataset', 'Define columns', 'Confirm', 'Run and monitor'] as const
export const MIN_AUDIENCE_ROWS = 1000

export interface ColumnChoice {
  name: string
  pii: boolean
  type: IdentifierType | null
}

export type RunState = 'idle' | 'starting' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted'

const identifierTypes: IdentifierType[] = ['email', 'phone', 'idfa', 'gaid']

function suggestedType(t: string | undefined | null): IdentifierType | null {
  const v = (t ?? '').toLowerCase()
  return (identifierTypes as string[]).includes(v) ? (v as IdentifierType) : null
}

export const useWizardStore = defineStore('wizard', {
  state: () => ({
    step: 0,
    file: null as FileInfo | null,
    recent: [] as RecentFile[],
    busy: '' as string, // what is loading, shown as a sentence
    error: '' as string,
    schema: null as Schema | null,
    // The person's answer to "does the first row name the columns?" (CSV/TXT)
    // and the Excel sheet read; both go to discovery, preview and the run.
    header: 'auto' as HeaderMode,
    sheet: '',
    audience: '',
    region: 'US',
    phoneFormat: 'digits' as PhoneFormat,
    layout: 'combined' as Layout,
    // Step 2's destinations: TikTok, Meta or both.
    destinations: ['tiktok'] as Platform[],
    // Meta's audience: "" is a new one named as above; else an existing
    // one's id with what to do to it.
    metaTargetId: '',
    metaAction: 'ADD' as 'ADD' | 'REMOVE' | 'REPLACE',
    columns: [] as ColumnChoice[],
    preview: null as PreviewResult | null,
    previewKey: '',
    run: {
      state: 'idle' as RunState,
      jobId: 0,
      outputDir: '',
      progress: null as ProgressEvent | null,
      manifest: null as Manifest | null,
      error: '',
      events: 0,
    },
  }),
  getters: {
    mappings(state): Mapping[] {
      return state.columns.filter((c) => c.pii && c.type).map((c) => ({ column: c.name, type: c.type as IdentifierType }))
    },
    audienceError(state): string {
      const n = [...state.audience.trim()].length
      if (n === 0) return 'Give the audience a name (1 to 128 characters).'
      if (n > 128) return `The name has ${n} characters; shorten it to 128 or fewer.`
      return ''
    },
    destinationError(state): string {
      return state.destinations.length ? '' : 'Choose where the audience goes: TikTok, Meta or both.'
    },
    columnErrors(state): string[] {
      const errs: string[] = []
      for (const c of state.columns) {
        if (c.pii && !c.type) errs.push(`The PII column “${c.name}” needs a PII type: choose Email, Phone, IDFA or GAID, or mark it NON-PII.`)
      }
      if (!state.columns.some((c) => c.pii && c.type)) {
        errs.push('Mark at least one column as PII with a type: the audience is built from those identifiers.')
      }
      return errs
    },
    running(state): boolean {
      return state.run.state === 'starting' || state.run.state === 'running'
    },
    finished(state): boolean {
      return ['succeeded', 'failed', 'cancelled', 'interrupted'].includes(state.run.state)
    },
    // The furthest step the person may open now.
    maxStep(): number {
      if (this.running || this.finished) return 4
      if (!this.file || !this.schema) return 0
      if (this.audienceError || this.destinationError) return 1
      if (this.columnErrors.length) return 2
      return 3
    },
    // Share of rows expected to carry at least one usable identifier, from the preview.
    // Rows in the input: exact when the file states it (Parquet), else the estimate; null when unknown.
    totalRows(state): number | null {
      if (state.schema?.rows != null) return state.schema.rows
      if (!state.file || state.file.estimated_rows < 0) return null
      return state.file.estimated_rows
    },
    estimatedValidRows(state): number | null {
      const total = this.totalRows
      if (!state.preview || total == null) return null
      const shares = Object.values(state.preview.valid_share ?? {})
      if (!shares.length) return null
      return Math.round(Math.max(...shares) * total)
    },
  },
  actions: {
    resetForNewFile() {
      this.schema = null
      this.header = 'auto'
      this.sheet = ''
      this.columns = []
      this.preview = null
      this.previewKey = ''
    },
    async loadRecent() {
      try {
        this.recent = await api.recentFiles()
      } catch {
        this.recent = []
      }
    },
    async chooseFile() {
      this.error = ''
      try {
        const p = await api.chooseFile()
        if (p) await this.openFile(p)
      } catch (e) {
        this.error = (e as Error).message
      }
    },
    async chooseFolder() {
      this.error = ''
      try {
        const p = await api.chooseInputFolder()
        if (p) await this.openFile(p)
      } catch (e) {
        this.error = (e as Error).message
      }
    },
    // Reads the schema of the open file with the current header answer and
    // sheet, and starts the column choices again from its suggestions.
    async discover() {
      if (!this.file) return
      const schema = await api.discoverInput({ path: this.file.path, region: this.region, header: this.header, sheet: this.sheet })
      this.schema = schema
      if (schema.sheet) this.sheet = schema.sheet
      this.columns = schema.fields.map((f) => {
        const t = suggestedType(f.suggestion?.type)
        return { name: f.name, pii: t !== null, type: t }
      })
      this.preview = null
      this.previewKey = ''
    },
    // The header switch and the sheet picker: read the file again; on failure
    // keep what was there and say why.
    async rediscover(change: { header?: HeaderMode; sheet?: string }, busy: string) {
      if (!this.file || this.running) return
      const before = { header: this.header, sheet: this.sheet }
      if (change.header) this.header = change.header
      if (change.sheet !== undefined) this.sheet = change.sheet
      this.error = ''
      this.busy = busy
      try {
        await this.discover()
      } catch (e) {
        this.header = before.header
        this.sheet = before.sheet
        this.error = (e as Error).message
      } finally {
        this.busy = ''
      }
    },
    setHeader(header: HeaderMode) {
      if (header === this.header) return Promise.resolve()
      return this.rediscover({ header }, 'Reading the columns again…')
    },
    setSheet(sheet: string) {
      if (sheet === this.sheet) return Promise.resolve()
      return this.rediscover({ sheet, header: 'auto' }, `Reading the sheet “${sheet}”…`)
    },
    async openFile(path: string) {
      if (this.running) return
      this.error = ''
      this.busy = 'Reading the file and suggesting column types…'
      try {
        const info = await api.inspectFile(path)
        const sameFile = this.file?.path === info.path && this.schema
        this.file = info
        if (!sameFile) {
          this.resetForNewFile()
          await this.discover()
          if (!this.audience) this.audience = defaultAudienceName(info.name)
        }
        if (this.run.state !== 'idle') this.resetRun()
      } catch (e) {
        this.error = (e as Error).message
        this.file = null
        this.resetForNewFile()
      } finally {
        this.busy = ''
        this.loadRecent()
      }
    },
    setPii(name: string, pii: boolean) {
      const c = this.columns.find((x) => x.name === name)
      if (!c) return
      c.pii = pii
      if (!pii) c.type = null
      if (pii && !c.type) {
        const f = this.schema?.fields.find((x) => x.name === name)
        c.type = suggestedType(f?.suggestion?.type)
      }
    },
    setType(name: string, type: IdentifierType | null) {
      const c = this.columns.find((x) => x.name === name)
      if (!c) return
      c.type = type
      if (type) c.pii = true
    },
    async loadPreview(force = false) {
      if (!this.file) return
      const key = JSON.stringify([this.file.path, this.header, this.sheet, this.mappings, this.region, this.phoneFormat])
      if (!force && key === this.previewKey && this.preview) return
      this.busy = 'Transforming the first 20 rows…'
      this.error = ''
      try {
        this.preview = await api.preview({
          path: this.file.path,
          mappings: this.mappings,
          region: this.region,
          phone_format: this.phoneFormat,
          rows: 20,
          header: this.header,
          sheet: this.sheet,
        })
        this.previewKey = key
      } catch (e) {
        this.preview = null
        this.error = (e as Error).message
      } finally {
        this.busy = ''
      }
    },
    goTo(step: number) {
      if (this.running && step !== 4) return
      if (step < 0 || step > this.maxStep) return
      this.error = ''
      this.step = step
      if (step === 3) this.loadPreview()
    },
    next() {
      this.goTo(this.step + 1)
    },
    back() {
      this.goTo(this.step - 1)
    },
    resetRun() {
      this.run = { state: 'idle', jobId: 0, outputDir: '', progress: null, manifest: null, error: '', events: 0 }
    },
    async startRun() {
      if (!this.file || this.running) return
      this.resetRun()
      this.run.state = 'starting'
      this.step = 4
      try {
        const info = await api.startRun({
          path: this.file.path,
          audience: this.audience.trim(),
          mappings: this.mappings,
          region: this.region,
          phone_format: this.phoneFormat,
          layout: this.layout,
          header: this.header,
          sheet: this.sheet,
          destinations: this.destinations,
        })
        this.run.jobId = info.job_id
        this.run.outputDir = info.output_dir
        if (this.run.state === 'starting') this.run.state = 'running'
      } catch (e) {
        this.run.state = 'failed'
        this.run.error = (e as Error).message
      }
    },
    async cancelRun() {
      try {
        await api.cancelRun()
      } catch (e) {
        this.run.error = (e as Error).message
      }
    },
    onProgress(e: ProgressEvent) {
      if (this.run.jobId && e.job_id !== this.run.jobId) return
      this.run.progress = e
      this.run.events++
      if (this.run.state === 'starting') this.run.state = 'running'
    },
    onDone(e: DoneEvent) {
      if (this.run.jobId && e.job_id !== this.run.jobId) return
      this.run.state = e.status === 'running' ? 'failed' : e.status
      this.run.error = e.error ?? ''
      this.run.manifest = e.manifest ?? null
      this.run.outputDir = e.output_dir
      this.run.jobId = e.job_id
    },
    newRun() {
      this.resetRun()
      this.step = 0
      this.file = null
      this.audience = ''
      this.metaTargetId = ''
      this.metaAction = 'ADD'
      this.resetForNewFile()
      this.loadRecent()
    },
  },
})

// "customers-2026.csv" -> "customers 2026"; a folder or prefix "q-123/" -> "q 123"
export function defaultAudienceName(fileName: string): string {
  const base = fileName
    .replace(/\/+$/, '')
    .replace(/\.(gz|zst|bz2)$/i, '')
    .replace(/\.[^./]+$/, '')
  return base.replace(/[_-]+/g, ' ').trim().slice(0, 128)
}
