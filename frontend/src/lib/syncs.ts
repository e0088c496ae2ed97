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
