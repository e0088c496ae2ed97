const nf = new Intl.NumberFormat('en-US')

export function formatNumber(n: number | null | undefined): string {
  if (n == null || !Number.isFinite(n)) return '—'
  return nf.format(Math.round(n))
}

export function formatBytes(n: number | null | undefined): string {
  if (n == null || n < 0 || !Number.isFinite(n)) return '—'
  const units = ['B', 'KB', 'MB', 'GB', 'TB']
  let v = n
  let i = 0
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`
}

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds == null || seconds < 0 || !Number.isFinite(seconds)) return '—'
  if (seconds < 1) return '< 1 s'
  const s = Math.round(seconds)
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const r = s % 60
  if (h > 0) return `${h} h ${m} min`
  if (m > 0) return `${m} min ${r} s`
  return `${r} s`
}

export function formatPercent(f: number | null | undefined, digits = 0): string {
  if (f == null || !Number.isFinite(f)) return '—'
  return `${(f * 100).toFixed(digits)}%`
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—'
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return '—'
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })
}

// mask hides a sample value: the person must ask to see PII.
export function mask(v: string | null | undefined): string {
  if (v == null || v === '') return ''
  return '•••'
}

export const typeLabels: Record<string, string> = {
  email: 'Email',
  phone: 'Phone',
  idfa: 'IDFA',
  gaid: 'GAID',
}

// Reason codes from the normalizer, said as a person would.
export const reasonLabels: Record<string, string> = {
  empty: 'Empty',
  invalid_email: 'Not an email address',
  invalid_phone: 'Not a possible phone number',
  invalid_maid: 'Not a device ID',
  zero_maid: 'All-zero device ID (tracking limited)',
  md5_not_supported: 'MD5 hash (not accepted)',
  invalid_type: 'Not text or a number',
  too_long: 'Too long',
}

export function reasonLabel(code: string): string {
  return reasonLabels[code] ?? code.replace(/_/g, ' ')
}
