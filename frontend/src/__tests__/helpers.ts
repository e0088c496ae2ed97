import { defineComponent, h, type Component } from 'vue'
import { mount } from '@vue/test-utils'
import { NDialogProvider, NMessageProvider } from 'naive-ui'
import { createPinia, setActivePinia, type Pinia } from 'pinia'
import type { FileInfo, Schema, PreviewResult, Manifest, Settings } from '../api/types'
import { useAppStore } from '../stores/app'

export function mountWith(comp: Component, pinia?: Pinia) {
  const p = pinia ?? createPinia()
  setActivePinia(p)
  const Wrapper = defineComponent({
    render: () => h(NDialogProvider, null, { default: () => h(NMessageProvider, null, { default: () => h(comp) }) }),
  })
  return mount(Wrapper, { global: { plugins: [p] }, attachTo: document.body })
}

export const flush = () => new Promise((r) => setTimeout(r, 0))

// Several rounds of flush: a click, its call, the store and the render.
export async function settle(rounds = 6) {
  for (let i = 0; i < rounds; i++) await flush()
}

export const byId = (id: string) => document.body.querySelector(`[data-testid="${id}"]`) as HTMLElement | null

// Types value into a naive-ui input (or the input inside el).
export function typeInto(el: HTMLElement | null, value: string) {
  const input = (el?.querySelector('input') ?? el) as HTMLInputElement
  input.value = value
  input.dispatchEvent(new Event('input'))
}

// The settings a view starts from: nothing set up yet on TikTok or Meta.
export const settingsFixture: Settings = {
  default_region: 'US',
  phone_format: 'digits',
  output_dir: '/out',
  max_file_mb: 50,
  workers: 0,
  recent_files: [],
  tiktok: { environment: 'production', base_url: '', advertiser_id: '' },
  meta: { ad_account: '', base_url: '' },
  aws: { credential_source: 'cognito', profile: '', region: '', user_pool_id: '', app_client_id: '', identity_pool_id: '', bucket: '', prefix: '' },
}

// Puts a copy of the fixture in the app store (of the active pinia).
export function seedSettings(s: Settings = settingsFixture) {
  useAppStore().settings = JSON.parse(JSON.stringify(s))
}

export const fileInfo: FileInfo = {
  path: '/data/customers.csv',
  name: 'customers.csv',
  size: 2048,
  modified: '2026-11-28T10:00:00Z',
  estimated_rows: 40,
}

export const schema: Schema = {
  name: 'customers.csv',
  format: 'csv',
  delimiter: ',',
  records_sampled: 40,
  fields: [
    { name: 'customer_id', type: 'string', fill_rate: 1, samples: ['C-1', 'C-2'], suggestion: null },
    {
      name: 'email',
      type: 'string',
      fill_rate: 0.95,
      samples: ['jane@example.com', 'sam@example.org'],
      suggestion: { type: 'email', confidence: 0.98, reason: 'values are e-mail addresses' },
    },
    {
      name: 'phone',
      type: 'string',
      fill_rate: 0.9,
      samples: ['(613)-444-4444'],
      suggestion: { type: 'phone', confidence: 0.9, reason: 'column name' },
    },
  ],
}

export const preview: PreviewResult = {
  rows: [
    {
      line: 2,
      cells: [
        {
          column: 'email',
          type: 'email',
          original: 'janedoe@gmail.com',
          normalized: 'janedoe@gmail.com',
          hash: 'd6117306485ed0e50afab3ac871e98f81699151f30281527d63ff5f233656c69',
          status: 'valid',
        },
        { column: 'phone', type: 'phone', original: '555-CALL-NOW', status: 'rejected', reason: 'invalid_phone' },
      ],
    },
    { line: 3, error: 'line 3: unterminated quote' },
  ],
  valid_share: { email: 0.5, phone: 0.1 },
}

export const manifest: Manifest = {
  version: 1,
  created_at: '2026-11-28T10:00:00Z',
  input: 'customers.csv',
  format: 'csv',
  layout: 'combined',
  mappings: [{ column: 'email', type: 'email' }],
  region: 'US',
  phone_format: 'digits',
  files: [{ path: 'audience-part-001.csv', calculate_type: 'MULTIPLE_TYPES', rows: 35, bytes: 2300, md5: '0123456789abcdef0123456789abcdef' }],
  counters: {
    rows_read: 40,
    malformed_rows: 1,
    malformed_errors: [{ file: 'customers.csv', line: 3, message: 'unterminated quote' }],
    no_identifier: 2,
    duplicate_rows: 2,
    rows_written: 35,
    types: { email: { valid: 35, prehashed: 0, duplicate: 0, invalid: { invalid_email: 2, empty: 1 } } },
    elapsed_seconds: 0.2,
    rows_per_second: 200,
  },
}
