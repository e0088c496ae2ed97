// AWS Clean Rooms for Step 1's tab: the bridge to app_cleanrooms.go.
// Re-exported from api/index.ts; components import from '../api' only.
import * as App from '../../wailsjs/go/main/App'

export interface CleanRoomsMembership {
  id: string
  collaboration_id: string
  collaboration_name: string
  creator_display_name: string
  status: string
  can_receive_results: boolean
  created: string
}

export interface CleanRoomsMemberships {
  memberships: CleanRoomsMembership[]
  // Why no membership can give a result, as a sentence ('' when one can).
  note?: string
}

export type CleanRoomsQueryStatus = 'SUBMITTED' | 'STARTED' | 'CANCELLING' | 'CANCELLED' | 'FAILED' | 'SUCCESS' | 'TIMED_OUT'

export interface CleanRoomsQuery {
  id: string
  membership_id: string
  status: CleanRoomsQueryStatus | string
  created: string
  duration_ms?: number
  format?: string
  output?: string
  location?: string
  error_code?: string
  error_message?: string
}

export interface CleanRoomsResult {
  query: CleanRoomsQuery
  url: string
}

async function call<T>(p: Promise<unknown>): Promise<T> {
  try {
    return (await p) as T
  } catch (e) {
    throw new Error(typeof e === 'string' ? e : e instanceof Error ? e.message : String(e))
  }
}

export const cleanRoomsApi = {
  memberships: () => call<CleanRoomsMemberships>(App.CleanRoomsMemberships()),
  queries: (membershipId: string) => call<CleanRoomsQuery[]>(App.CleanRoomsQueries(membershipId)),
  result: (membershipId: string, queryId: string) => call<CleanRoomsResult>(App.CleanRoomsResult(membershipId, queryId)),
}

// The input a picked result is opened as: the history and report then name
// the collaboration and query, not only the S3 prefix.
export const cleanRoomsInput = (membershipId: string, queryId: string) => `cleanrooms://${membershipId}/${queryId}`
// The newest successful result of the analysis queryId ran (a sync's input).
export const cleanRoomsLatestLike = (membershipId: string, queryId: string) => `cleanrooms://${membershipId}/latest?like=${encodeURIComponent(queryId)}`
// The membership and query of a picked result (cleanrooms://M/Q), or null.
export function parseCleanRoomsPick(input: string): { membershipId: string; queryId: string } | null {
  const m = /^cleanrooms:\/\/([^/?]+)\/([^/?]+)\/?$/.exec(input)
  return m && m[2].toLowerCase() !== 'latest' ? { membershipId: m[1], queryId: m[2] } : null
}
