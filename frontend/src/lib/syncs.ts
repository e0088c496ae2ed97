// Sync names (issue 12): pure helpers, kept out of api/ so that views that
// mock the api module still get them.

// A sync's name is a plain file name (the engine keeps it in a folder of that name).
export const syncNamePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

// suggestSyncName makes a valid name from an audience or file name.
export function suggestSyncName(from: string): string {
  const s = from
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/-+$/, '')
    .slice(0, 64)
  return s || 'my-sync'
}

// The sync form's pure rules (SyncForm.vue), kept here for the unit tests.

export type SyncPlatform = 'tiktok' | 'meta'

export interface SyncFormMapping {
  column: string
  type: string
}

// The platform a definition feeds: definitions saved before Meta have none.
export function syncPlatform(d: { destination?: string } | null | undefined): SyncPlatform {
  return d?.destination === 'meta' ? 'meta' : 'tiktok'
}

// The platform as a sentence names it.
export const platformName = (p: SyncPlatform | string | undefined) => (p === 'meta' ? 'Meta' : 'TikTok')

// parseSyncMappings reads the form's COLUMN=TYPE lines.
export function parseSyncMappings(text: string): SyncFormMapping[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const i = l.lastIndexOf('=')
      return { column: i > 0 ? l.slice(0, i).trim() : l, type: i > 0 ? l.slice(i + 1).trim().toLowerCase() : '' }
    })
}

export interface SyncFormState {
  name: string
  input: string
  destination: SyncPlatform
  mappings: SyncFormMapping[]
  // 'id': an existing audience (audienceId); 'name': a new one the first run creates.
  target: 'id' | 'name'
  audienceId: string
  audienceName: string
  // Settings > Meta has an ad account and a token (a Meta sync can run).
  metaReady: boolean
}

// syncFormProblem is the sentence saying what to fix before saving, or ''.
// Meta's own refusals (a mobile advertiser id column, a key mapped twice)
// are the engine's: its sentence comes back from Save.
export function syncFormProblem(f: SyncFormState): string {
  if (!syncNamePattern.test(f.name)) return 'Name the sync with letters, digits, dots, dashes or underscores (up to 64, no spaces).'
  if (!f.input.trim()) return 'Give the list to read: a file, folder, glob or s3:// key or prefix.'
  if (f.destination === 'meta' && !f.metaReady)
    return 'Meta is not set up yet: enter the ad account and a system-user token in Settings > Meta, or choose TikTok.'
  if (!f.mappings.length) return 'Map at least one column, one per line as COLUMN=TYPE (email, phone, idfa or gaid).'
  const bad = f.mappings.find((m) => !['email', 'phone', 'idfa', 'gaid'].includes(m.type))
  if (bad) return `The line for column “${bad.column}” needs a type: write it as ${bad.column}=email (or phone, idfa, gaid).`
  const where = f.destination === 'meta' ? 'choose a Meta audience of the ad account' : 'give the audience id (digits)'
  if (f.target === 'id' && !/^\d+$/.test(f.audienceId)) return `${where[0].toUpperCase()}${where.slice(1)}, or choose a new audience.`
  if (f.target === 'name' && !f.audienceName.trim()) return 'Name the audience the first run creates.'
  return ''
}

// syncNameFor names the sync Save as sync suggests for one platform's
// upload; when the list went to both, each platform's sync says which it
// feeds (crm-tiktok, crm-meta), so the two are told apart in Syncs.
export function syncNameFor(from: string, platform: SyncPlatform, both: boolean): string {
  if (!both) return suggestSyncName(from)
  return `${suggestSyncName(from).slice(0, 64 - platform.length - 1)}-${platform}`
}
