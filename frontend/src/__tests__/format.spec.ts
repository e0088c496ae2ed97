import { describe, it, expect } from 'vitest'
import { formatBytes, formatDuration, formatNumber, formatPercent, mask, reasonLabel } from '../lib/format'

describe('format', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [2300, '2.2 KB'],
    [52428800, '50 MB'],
    [-1, '—'],
  ])('formatBytes(%d) = %s', (n, want) => expect(formatBytes(n)).toBe(want))

  it.each([
    [0.2, '< 1 s'],
    [42, '42 s'],
    [125, '2 min 5 s'],
    [3725, '1 h 2 min'],
    [-1, '—'],
  ])('formatDuration(%d) = %s', (s, want) => expect(formatDuration(s)).toBe(want))

  it('formats numbers, shares, masks and reasons', () => {
    expect(formatNumber(1234567)).toBe('1,234,567')
    expect(formatPercent(0.953)).toBe('95%')
    expect(mask('jane@example.com')).toBe('•••')
    expect(mask('')).toBe('')
    expect(reasonLabel('invalid_phone')).toBe('Not a possible phone number')
    expect(reasonLabel('some_new_code')).toBe('some new code')
  })
})
