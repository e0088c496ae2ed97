// Shapes of the values that cross the Go bridge (JSON field names as Go sends them).

export type PhoneFormat = 'digits' | 'e164'
export type IdentifierType = 'email' | 'phone' | 'idfa' | 'gaid'
export type Layout = 'combined' | 'separate'

export interface Settings {
  default_region: string
  phone_format: PhoneFormat
  output_dir: string
  max_file_mb: number
  workers: number
  recent_files: string[]
  tiktok: { environment: string; base_url: string; advertiser_id: string }
  // Meta's ad account (act_ followed by digits; "" = not set up); the token is in the keychain.
  meta?: { ad_account: string; base_url: string }
  aws: {
    credential_source: string
    profile: string
    region: string
    user_pool_id: string
    app_client_id: string
    identity_pool_id: string
    bucket: string
    prefix: string
  }
}

export interface AppInfo {
  version: string
  platform: string
  startup_ms: number
  settings: Settings
  settings_path: string
  history_path: string
  warnings: string[]
  cores: number
}

// backend/buildinfo: what the About dialog shows.
export interface BuildInfo {
  version: string
  commit: string
  date: string
  go: string
  wails: string
}

export interface GoModule {
  path: string
  version: string
  license: string // SPDX identifiers found in its licence files; '' when not recognised
  license_url: string
}

export interface AboutInfo {
  build: BuildInfo
  modules: GoModule[]
}

export interface Region {
  code: string
  calling_code: number
}

export interface FileInfo {
  path: string
  name: string
  size: number
  modified: string
  estimated_rows: number // -1 when it cannot be estimated (compressed, one-line JSON)
  // A folder, glob or s3:// prefix read as one list: how many part files, and
  // their names (size is then the parts' total).
  parts?: number
  part_names?: string[] | null
}

export interface RecentFile {
  path: string
  name: string
  size: number
  modified: string
  exists: boolean
}

export interface Suggestion {
  type: string
  confidence: number
  reason: string
}

export interface SchemaField {
  name: string
  type: string
  fill_rate: number
  samples: string[] | null
  suggestion?: Suggestion | null
}

// Does the first row of a CSV/TXT name the columns? auto = detect it.
export type HeaderMode = 'auto' | 'yes' | 'no'

export interface Schema {
  name: string
  format: string
  delimiter?: string
  // CSV/TXT only: whether the first row names the columns, and why not (never a value).
  header_row?: boolean
  header_reason?: string
  rows?: number // exact data rows when the file states them (Parquet)
  sheet?: string // Excel: the sheet read, and all of the workbook's sheets
  sheets?: string[] | null
  records_sampled: number
  fields: SchemaField[]
  malformed?: { file: string; line: number; column?: number; message: string }[] | null
  warnings?: string[] | null
}

export interface Mapping {
  column: string
  type: IdentifierType
}

export interface PreviewCell {
  column: string
  type: string
  original: string
  normalized?: string
  hash?: string
  status: 'valid' | 'prehashed' | 'rejected'
  reason?: string
  reason_text?: string
}

export interface PreviewRow {
  line: number
  cells?: PreviewCell[] | null
  error?: string
}

export interface PreviewResult {
  rows: PreviewRow[]
  valid_share: Record<string, number>
}

export interface PreviewRequest {
  path: string
  mappings: Mapping[]
  region: string
  phone_format: PhoneFormat
  rows: number
  header?: HeaderMode
  sheet?: string
}

export interface DiscoverRequest {
  path: string
  region: string
  header?: HeaderMode
  sheet?: string
}

export interface RunRequest {
  path: string
  audience: string
  mappings: Mapping[]
  region: string
  phone_format: PhoneFormat
  layout: Layout
  header?: HeaderMode
  sheet?: string
  // Where the output goes: TikTok's files, Meta's rows or both; absent = TikTok.
  destinations?: ('tiktok' | 'meta')[]
}

export interface RunInfo {
  job_id: number
  output_dir: string
  input: string
}

export interface ProgressEvent {
  job_id: number
  rows: number
  bytes_read: number
  bytes_total: number
  elapsed_ms: number
  rows_per_second: number
  eta_seconds: number
  fraction: number
}

export interface TypeCounters {
  valid: number
  prehashed: number
  duplicate: number
  invalid: Record<string, number> | null
}

export interface Counters {
  rows_read: number
  malformed_rows: number
  malformed_errors?: { file: string; line: number; column?: number; message: string }[] | null
  no_identifier: number
  duplicate_rows: number
  rows_written: number
  types: Record<string, TypeCounters> | null
  elapsed_seconds: number
  rows_per_second: number
}

export interface OutputFile {
  path: string
  calculate_type: string // TikTok's; "" for Meta's rows file
  platform?: 'tiktok' | 'meta' // absent: TikTok
  schema?: string[] // Meta's keys, in the rows file's column order
  rows: number
  bytes: number
  md5: string
}

export interface Manifest {
  version: number
  created_at: string
  input: string
  format: string
  layout: string
  mappings: { column: string; type: string }[]
  region: string
  phone_format: string
  files: OutputFile[]
  counters: Counters
  // Meta's own output (its rules differ from TikTok's); absent when Meta was not a destination.
  meta?: PlatformCounters | null
}

export interface PlatformCounters {
  schema: string[]
  no_identifier: number
  duplicate_rows: number
  rows_written: number
  keys: Record<string, TypeCounters> | null
}

export type JobStatus = 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted'

export interface DoneEvent {
  job_id: number
  status: JobStatus
  error?: string
  output_dir: string
  manifest?: Manifest | null
}

export interface JobOrigin {
  kind: string
  collaboration_id?: string
  collaboration_name?: string
  membership_id?: string
  query_id?: string
  result_url?: string
}

export interface Job {
  id: number
  started_at: string
  finished_at?: string | null
  audience: string
  input: string
  // The AWS Clean Rooms collaboration and query a run read (ids and names).
  origin?: JobOrigin | null
  input_bytes: number
  format: string
  layout: string
  region: string
  phone_format: string
  mappings: { column: string; type: string }[]
  output_dir: string
  status: JobStatus
  error?: string
  rows_read: number
  rows_written: number
  counters?: Counters | null
  // Where the run's output goes: "tiktok", "meta" or "tiktok,meta" (older runs: TikTok).
  destination?: string
  ad_account?: string // Meta's, for a run for Meta
}

export interface Report {
  generated_at: string
  app_version: string
  job: Job
  manifest?: Manifest | null
}
