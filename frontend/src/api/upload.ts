// Upload to TikTok (issue 4): the bindings of app_upload.go, re-exported by
// api/index.ts. Components and stores import them from '../api'.
import * as App from '../../wailsjs/go/main/App'
import { EventsOn } from '../../wailsjs/runtime/runtime'

export type TikTokEnvironment = 'production' | 'sandbox' | 'custom'
export type UpdateAction = 'APPEND' | 'REMOVE' | 'REPLACE'

export interface TokenStatus {
  advertiser_id: string
  saved: boolean // in the OS keychain
  from_env: boolean // TIKTOK_ACCESS_TOKEN overrides
  keychain_available: boolean
  keychain_error?: string
}

export interface TikTokState {
  tiktok: { environment: string; base_url: string; advertiser_id: string }
  base_url: string
  base_error?: string
  token: TokenStatus
  ready: boolean // an advertiser id and a token: uploads can run
  error?: string
}

export interface TikTokAudience {
  audience_id: string
  name: string
  audience_type: string
  calculate_type: string
  cover_num: number
  is_valid: boolean
  is_expiring: boolean
  create_time: string
  expired_time: string
  msg: string
  error_msg: string
}

export interface ConnectionTest {
  advertiser_id: string
  base_url: string
  audiences: TikTokAudience[]
}

export interface UploadRequest {
  output_dir: string
  audience_name: string
  audience_id: string
  action: string
}

export interface AudienceStatus {
  audience_id: string
  name: string
  calculate_type: string
  ready: boolean
  is_expiring: boolean
  expired_time?: string
  matched_users: number
  rows_uploaded?: number
  match_rate?: number
  messages?: string[] | null
  last_action?: string
  checked_at: string
}

export type UploadEventKind =
  | 'step'
  | 'file_start'
  | 'file_bytes'
  | 'file_done'
  | 'retry'
  | 'rate_limited'
  | 'warning'
  | 'audience'
  | 'batch_done'
  | 'status'

export interface UploadEvent {
  job_id: string
  kind: UploadEventKind
  time: string
  step?: string
  file?: string
  file_index: number
  files: number
  bytes_sent?: number
  bytes_total?: number
  wait?: number // nanoseconds
  message?: string
  audience_id?: string
  status?: AudienceStatus | null
}

export interface UploadTarget {
  calculate_type: string
  audience_name?: string
  audience_id?: string
  rows: number
}

export interface UploadResult {
  job_id: string
  action: string
  audiences: UploadTarget[]
  files: number
  rows: number
  files_uploaded: number
  files_reused: number
  resumed: boolean
  warnings?: string[] | null
  already_done: boolean
}

export interface UploadDone {
  job_id: string
  result?: UploadResult | null
  error?: string
  cancelled: boolean
}

export interface UploadJob {
  id: string
  manifest_path: string
  advertiser_id: string
  audience_name?: string
  audience_id?: string
  action: string
  step: string
  error?: string
  created_at: string
  updated_at: string
  targets: UploadTarget[] | null
}

export interface PendingAudience {
  job_id: string
  advertiser_id: string
  audience_id: string
  audience_name: string
  checked_at?: string
}

// Go returns errors as plain strings through the bridge; make them Errors.
async function call<T>(p: Promise<unknown>): Promise<T> {
  try {
    return (await p) as T
  } catch (e) {
    throw new Error(typeof e === 'string' ? e : e instanceof Error ? e.message : String(e))
  }
}

export const uploadApi = {
  tiktokState: () => call<TikTokState>(App.TikTokState()),
  saveToken: (advertiserId: string, token: string) => call<void>(App.SaveTikTokToken(advertiserId, token)),
  deleteToken: (advertiserId: string) => call<void>(App.DeleteTikTokToken(advertiserId)),
  testConnection: () => call<ConnectionTest>(App.TestTikTokConnection()),
  audiences: () => call<TikTokAudience[]>(App.TikTokAudiences()),
  startUpload: (req: UploadRequest) => call<void>(App.StartUpload(req as never)),
  resumeUpload: (jobId: string) => call<void>(App.ResumeUpload(jobId)),
  cancelUpload: () => call<boolean>(App.CancelUpload()),
  isUploading: () => call<boolean>(App.IsUploading()),
  jobs: () => call<UploadJob[]>(App.UploadJobs()),
  follow: (audienceId: string) => call<void>(App.FollowAudience(audienceId)),
  followPending: () => call<PendingAudience[]>(App.FollowPendingAudiences()),
  status: (advertiserId: string, audienceId: string) => call<AudienceStatus>(App.AudienceStatus(advertiserId, audienceId)),

  onEvent: (cb: (e: UploadEvent) => void) => EventsOn('upload:event', cb),
  onDone: (cb: (e: UploadDone) => void) => EventsOn('upload:done', cb),
}

export type UploadApi = typeof uploadApi
