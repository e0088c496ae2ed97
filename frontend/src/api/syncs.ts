// Syncs view (issue 12): the bindings of app_syncs.go over the sync engine
// (backend/syncs), re-exported by api/index.ts.
import * as App from '../../wailsjs/go/main/App'
import { EventsOn } from '../../wailsjs/runtime/runtime'

export type SyncMode = 'mirror' | 'add-only' | 'replace'
export type SyncAction = 'create' | 'update' | 'replace' | 'none' | 'stop' | 'gone'

export interface SyncMapping {
  column: string
  type: string // email, phone, idfa, gaid
}

export interface SyncDefinition {
  name: string
  input: string
  newest?: string
  format?: string
  header?: string
  sheet?: string
  mappings: SyncMapping[]
  region: string
  phone_format: string
  layout: string
  advertiser_id?: string
  // Where the audience is: "meta" or "tiktok" (absent in syncs saved before Meta: TikTok).
  destination?: 'tiktok' | 'meta'
  ad_account?: string // Meta's act_<digits>; "" = the one in Settings > Meta
  audience_id?: string
  audience_name?: string
  mode: SyncMode | ''
  max_removals?: number // percent a run may remove without asking (default 10)
  created_at?: string
  updated_at?: string
}

export interface SyncRunRecord {
  at: string
  action: string
  added: number
  removed: number
  rows_now: number
  audience_id: string
  reason: string
}

export interface SyncRow extends SyncDefinition {
  platform?: 'tiktok' | 'meta' // where the sync's audience lives (absent: TikTok)
  last_run?: SyncRunRecord
  state_rows: number
  pending: boolean
  audience_status: string // processing, ready, expiring, failed; "" if not listed
  audience_label: string // the platform's name of the audience
  matched_users: number
  audience_size?: string // in words (Meta: its approximate bounds)
  audience_status_text?: string // in words (Meta: operation_status, delivery_status)
}

export interface SyncList {
  syncs: SyncRow[]
  audience_error?: string
}

// The wizard's upload a sync took as its record (Save as sync).
export interface SyncAdoption {
  sync: string
  audience_id: string
  job_id: string
  uploaded_at: string
  rows: number
}

// A saved sync; with a folder to adopt, whether its upload was taken.
export interface SyncSaved {
  definition: SyncDefinition
  adopted?: SyncAdoption
  not_adopted?: string // why not: the first run then replaces the audience's contents
  pinned?: string // a cleanrooms://M/latest input: the analysis it was kept to
}

// The removal guard: a run that removes more of the audience's people than
// the sync allows is sent only after an explicit confirmation.
export interface SyncRemovals {
  removing: number
  of: number
  percent: number
  limit: number
  over: boolean
  warning?: string
}

export interface SyncPlan {
  id?: string // the prepared plan: run sends exactly it
  sync: string
  mode: string
  audience_id?: string
  rows_now: number
  state_rows: number
  added: number
  removed: number
  unchanged: number
  action: SyncAction
  reason: string
  source?: string // a cleanrooms://M/latest input: which query's result this run read
  resumed: boolean
  removals?: SyncRemovals
}

// A plan's or run's stage, sent as it goes.
export interface SyncProgress {
  sync: string
  stage: 'transform' | 'diff' | 'upload' | 'commit'
  rows: number // rows read so far (transform)
}

export interface SyncResult extends SyncPlan {
  files_uploaded: number
  bytes_uploaded: number
  full_bytes: number
}

// What Upload these changes did: the run, or (the list, the sync or the
// audience changed since the plan was shown) nothing sent and the new plan.
export interface SyncOutcome {
  result?: SyncResult
  new_plan?: SyncPlan
  changed?: string
}

async function call<T>(p: Promise<unknown>): Promise<T> {
  try {
    return (await p) as T
  } catch (e) {
    throw new Error(typeof e === 'string' ? e : e instanceof Error ? e.message : String(e))
  }
}

export const syncsApi = {
  list: () => call<SyncList>(App.Syncs()),
  get: (name: string) => call<SyncRow>(App.GetSync(name)),
  // adoptFrom: the folder the wizard just uploaded into the sync's audience
  // (Save as sync), taken as what the sync has put there; '' to adopt nothing.
  save: (d: SyncDefinition, adoptFrom = '') => call<SyncSaved>(App.SaveSync(d as never, adoptFrom)),
  remove: (name: string) => call<void>(App.DeleteSync(name)),
  // The plan Run now shows: what would be sent and why; nothing is uploaded.
  plan: (name: string) => call<SyncPlan>(App.PlanSync(name)),
  // Sends exactly the plan shown (its id); confirmRemovals is the person's
  // yes to the removals over the limit that plan showed.
  run: (name: string, planId: string, confirmRemovals = false) => call<SyncOutcome>(App.RunSync(name, planId, confirmRemovals)),
  // After the audience was deleted at TikTok: start over into a new one.
  recreate: (name: string) => call<SyncDefinition>(App.RecreateSync(name)),
  onProgress: (cb: (e: SyncProgress) => void) => EventsOn('sync:progress', cb),
}
