import { h } from 'vue'
import { NTag, type DataTableColumns } from 'naive-ui'
import type { TikTokAudience } from '../../api'
import { formatNumber } from '../../lib/format'

const typeNames: Record<string, string> = {
  EMAIL_SHA256: 'Email',
  PHONE_SHA256: 'Phone',
  IDFA_SHA256: 'IDFA',
  GAID_SHA256: 'GAID',
  MULTIPLE_TYPES: 'Multiple types',
}

export function calculateTypeLabel(t: string): string {
  return typeNames[t] ?? t
}

// Name, type, size, valid, expiring: the columns of every audience list.
export function audienceColumns(): DataTableColumns<TikTokAudience> {
  return [
    { title: 'Name', key: 'name', ellipsis: { tooltip: true } },
    { title: 'Type', key: 'calculate_type', width: 130, render: (a) => calculateTypeLabel(a.calculate_type) },
    { title: 'Size', key: 'cover_num', width: 100, align: 'right', render: (a) => formatNumber(a.cover_num) },
    {
      title: 'Valid',
      key: 'is_valid',
      width: 110,
      render: (a) =>
        h(NTag, { size: 'small', bordered: false, type: a.is_valid ? 'success' : 'warning' }, { default: () => (a.is_valid ? 'Ready' : 'Processing') }),
    },
    {
      title: 'Expiring',
      key: 'is_expiring',
      width: 100,
      render: (a) => (a.is_expiring ? h(NTag, { size: 'small', bordered: false, type: 'error' }, { default: () => 'Expiring' }) : 'No'),
    },
  ]
}
