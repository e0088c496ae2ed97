// What Meta's choices (Step 2's destinations, a sync's destination) say
// while Settings > Meta cannot run an upload: pure, for the unit tests.
import type { MetaState } from '../api/meta'

// metaNotReady is the sentence saying what Settings > Meta lacks, ending
// with what setting it up is for ("to send this audience there too"); ''
// when Meta is ready or its state is not known yet.
export function metaNotReady(st: MetaState | null | undefined, purpose: string): string {
  if (!st || st.ready) return ''
  if (!st.ad_account) return `Meta is not set up yet: enter the ad account and a system-user token in Settings > Meta ${purpose}.`
  return `No Meta token is saved for ${st.ad_account}: paste the system-user token in Settings > Meta ${purpose}.`
}
