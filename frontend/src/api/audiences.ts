// Audiences view (issue 12): the bindings of app_audiences.go, re-exported
// by api/index.ts. Components import them from '../api'.
import * as App from '../../wailsjs/go/main/App'
import type { Platform } from './meta'

export type AudienceStatusName = 'processing' | 'ready' | 'expiring' | 'failed' | 'not_ready'

export interface AudienceRow {
  platform: Platform
  id: string
  name: string
  type: string // TikTok's kind: "Customer File", "Lookalike", …
  calculate_type: string
  matched_users: number
  status: AudienceStatusName
  status_detail?: string
  status_text: string // the status in words (Meta: operation_status and delivery_status)
  size_lower: number // -1 when not given yet
  size_upper: number
  size: string // in words: "14,000", "fewer than 1,000"
  created: string // RFC 3339 UTC, "" if unknown
  expires?: string
  shared: boolean // made by another advertiser: read only here
  lookalike: boolean
  syncs: string[] // saved syncs feeding this audience
}

export interface AudienceList {
  advertiser_id: string // "" when TikTok is not set up
  ad_account: string // "" when Meta is not set up
  audiences: AudienceRow[]
  tiktok_error?: string // why TikTok's audiences are missing while Meta's are listed
  meta_error?: string
}

export type LookalikeSize = 'NARROW' | 'BALANCED' | 'BROAD'

export interface LookalikeRequest {
  source_id: string
  name: string
  audience_size: LookalikeSize
  location_ids: string[]
  mobile_os: 'ALL' | 'ANDROID' | 'IOS'
  placements: string[]
  include_source: boolean
}

async function call<T>(p: Promise<unknown>): Promise<T> {
  try {
    return (await p) as T
  } catch (e) {
    throw new Error(typeof e === 'string' ? e : e instanceof Error ? e.message : String(e))
  }
}

export const audiencesApi = {
  list: () => call<AudienceList>(App.Audiences()),
  rename: (platform: Platform, id: string, name: string) => call<void>(App.RenameAudience(platform, id, name)),
  remove: (platform: Platform, id: string) => call<void>(App.DeleteAudience(platform, id)),
  createLookalike: (req: LookalikeRequest) => call<string>(App.CreateLookalike(req as never)),
}
