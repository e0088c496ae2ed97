// Settings > Meta (issue 21): the bindings of app_meta.go, re-exported by
// api/index.ts. The token goes in once and never comes back.
import * as App from '../../wailsjs/go/main/App'
import { BrowserOpenURL, EventsOn } from '../../wailsjs/runtime/runtime'

export type Platform = 'tiktok' | 'meta'

export interface MetaState {
  ad_account: string
  base_url: string
  token_saved: boolean // in the OS keychain for ad_account
  token_from_env: boolean // META_ACCESS_TOKEN overrides the keychain
  keychain_error?: string
  ready: boolean // an ad account and a token: uploads to Meta can run
}

export interface MetaConnectionTest {
  ad_account: string
  base_url: string
  audiences: number
  terms_accepted: boolean
  terms_url: string
  terms_advice?: string // a sentence saying where to accept the terms, when they are not
}

export interface MetaUploadRequest {
  output_dir: string
  audience_name: string
  audience_id: string
  action: string // ADD (default), REMOVE or REPLACE for an existing audience
}

export interface MetaUploadEvent {
  job_id: string
  level: string
  message: string // ids and counts, never a cell
}

export interface MetaUploadResult {
  job_id?: string
  ad_account: string
  audience_id: string
  audience_name?: string
  action?: string
  rows?: number
  status: string // in words
  size: string // in words
  ready: boolean
}

export interface MetaUploadDone {
  job_id: string
  result?: MetaUploadResult | null
  error?: string
  cancelled: boolean
}

// One upload to Meta as History lists it (MetaUploadJobs): ids and counts, never a cell.
export interface MetaJob {
  id: string
  platform: Platform // always 'meta'
  ad_account: string
  audience_name?: string
  audience_id?: string // '' until the audience is created
  action: string // ADD, REMOVE or REPLACE
  output_dir?: string
  rows: number
  rows_sent: number // of the batches Meta is known to have
  batches: number
  batches_done: number
  started_at: string // its first batch sent (Go's zero time: none yet)
  finished_at: string
  done: boolean
  running: boolean
  resumable: boolean // not done, not running, its rows file recorded
}

async function call<T>(p: Promise<unknown>): Promise<T> {
  try {
    return (await p) as T
  } catch (e) {
    throw new Error(typeof e === 'string' ? e : e instanceof Error ? e.message : String(e))
  }
}

export const metaApi = {
  state: () => call<MetaState>(App.MetaState()),
  saveToken: (adAccount: string, token: string) => call<void>(App.SaveMetaToken(adAccount, token)),
  deleteToken: (adAccount: string) => call<void>(App.DeleteMetaToken(adAccount)),
  testConnection: () => call<MetaConnectionTest>(App.TestMetaConnection()),
  startUpload: (req: MetaUploadRequest) => call<void>(App.StartMetaUpload(req as never)),
  cancelUpload: () => call<boolean>(App.CancelMetaUpload()),
  isUploading: () => call<boolean>(App.IsMetaUploading()),
  audienceStatus: (audienceId: string) => call<MetaUploadResult>(App.MetaAudienceStatus(audienceId)),
  jobs: () => call<MetaJob[]>(App.MetaUploadJobs()),
  resumeUpload: (jobId: string) => call<void>(App.ResumeMetaUpload(jobId)),
  onEvent: (cb: (e: MetaUploadEvent) => void) => EventsOn('upload:meta-event', cb),
  onDone: (cb: (d: MetaUploadDone) => void) => EventsOn('upload:meta-done', cb),
  // The Custom Audience Terms page, in the system's browser (not the app's window).
  openInBrowser: (url: string) => BrowserOpenURL(url),
}

export type MetaApi = typeof metaApi
