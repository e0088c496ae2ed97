import type { SelectOption } from 'naive-ui'
import type { Region } from '../api'

let names: Intl.DisplayNames | null = null
try {
  names = new Intl.DisplayNames(['en'], { type: 'region' })
} catch {
  names = null
}

export function regionName(code: string): string {
  try {
    return names?.of(code) ?? code
  } catch {
    return code
  }
}

export type RegionOption = SelectOption & { label: string; value: string }

// Options for a searchable select: "United Kingdom (+44) · GB".
export function regionOptions(regions: Region[]): RegionOption[] {
  return regions
    .map((r) => ({ label: `${regionName(r.code)} (+${r.calling_code}) · ${r.code}`, value: r.code }))
    .sort((a, b) => a.label.localeCompare(b.label))
}
