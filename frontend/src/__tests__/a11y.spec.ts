// Issue 11's accessibility fixes that can be checked without a browser: the
// Naive UI card header gets a heading level (axe's aria-required-attr), for
// cards rendered before and after the fix is installed; the run's live region
// says the progress in steps of ten and then the outcome.
import { describe, it, expect, vi } from 'vitest'
import { defineComponent, h, nextTick } from 'vue'
import { mount } from '@vue/test-utils'
import { NCard, NDataTable, NForm, NFormItem, NInput, NInputNumber } from 'naive-ui'
import { createPinia } from 'pinia'
import { fixNaiveAria } from '../lib/naiveAria'
import { mountWith, flush, manifest } from './helpers'
import { formatNumber } from '../lib/format'

vi.mock('../api', () => ({
  api: {
    openFolder: vi.fn(async () => undefined),
    exportReport: vi.fn(async () => ''),
    uploadState: vi.fn(async () => ({ tiktok: null, audiences: [] })),
    onProgress: vi.fn(() => () => {}),
    onDone: vi.fn(() => () => {}),
  },
}))
import { useWizardStore } from '../stores/wizard'
import RunStep from '../components/steps/RunStep.vue'

const card = (title: string) => defineComponent({ render: () => h(NCard, { title }, { default: () => 'body' }) })

describe('fixNaiveAria', () => {
  it('gives card titles a heading level and takes the role off their wrapper, now and later', async () => {
    const host = document.createElement('div')
    document.body.appendChild(host)
    const before = mount(card('Before'), { attachTo: host })
    expect(host.querySelector('.n-card-header__main')?.getAttribute('aria-level')).toBeNull() // Naive UI's own markup
    const observer = fixNaiveAria(host)
    const later = document.createElement('div')
    host.appendChild(later)
    const after = mount(card('After'), { attachTo: later })
    await nextTick()
    await flush()
    const titles = [...host.querySelectorAll('.n-card-header__main')]
    expect(titles.map((t) => [t.textContent, t.getAttribute('role'), t.getAttribute('aria-level')])).toEqual([
      ['Before', 'heading', '3'],
      ['After', 'heading', '3'],
    ])
    expect([...host.querySelectorAll('.n-card-header')].map((w) => w.getAttribute('role'))).toEqual(['none', 'none'])
    observer.disconnect()
    before.unmount()
    after.unmount()
    host.remove()
  })
})

describe('fixNaiveAria on forms', () => {
  it('ties each form field to its label, names the number buttons and passes an n-input aria-label to its input', async () => {
    const host = document.createElement('div')
    document.body.appendChild(host)
    const observer = fixNaiveAria(host)
    const form = defineComponent({
      render: () =>
        h(NForm, null, {
          default: () => [
            h(NFormItem, { label: 'Audience name', required: true }, { default: () => h(NInput, { value: '' }) }),
            h(NFormItem, { label: 'Workers' }, { default: () => h(NInputNumber, { value: 1 }) }),
          ],
        }),
    })
    const field = mount(defineComponent({ render: () => h(NInput, { value: '', 'aria-label': 'File path' }) }), { attachTo: host })
    const w = mount(form, { attachTo: host })
    await nextTick()
    await flush()
    const names = [...host.querySelectorAll('.n-form-item input')].map((i) => document.getElementById(i.getAttribute('aria-labelledby') ?? '')?.textContent)
    expect(names).toEqual(['Audience name', 'Workers'])
    expect([...host.querySelectorAll('.n-input-number .n-button')].map((b) => b.getAttribute('aria-label'))).toEqual(['Decrease', 'Increase'])
    expect(field.find('input').attributes('aria-label')).toBe('File path')
    field.unmount()
    observer.disconnect()
    w.unmount()
    host.remove()
  })
})

describe('fixNaiveAria on tables', () => {
  it("names a data table's selection radios after their rows", async () => {
    const host = document.createElement('div')
    document.body.appendChild(host)
    const observer = fixNaiveAria(host)
    const table = defineComponent({
      render: () =>
        h(NDataTable, {
          columns: [{ type: 'selection', multiple: false }, { title: 'Name', key: 'name' }],
          data: [{ key: 1, name: 'Spring buyers' }, { key: 2, name: 'Churned' }],
          rowKey: (r: { key: number }) => r.key,
        }),
    })
    const w = mount(table, { attachTo: host })
    await nextTick()
    await flush()
    expect([...host.querySelectorAll('.n-data-table-td--selection input')].map((i) => i.getAttribute('aria-label'))).toEqual(['Select Spring buyers', 'Select Churned'])
    observer.disconnect()
    w.unmount()
    host.remove()
  })
})

describe('RunStep live region', () => {
  it('announces progress in steps of ten percent, then the rows written', async () => {
    const pinia = createPinia()
    const w = mountWith(RunStep, pinia)
    const wiz = useWizardStore()
    const live = () => w.find('[data-testid="run-announce"]')
    expect(live().attributes('aria-live')).toBe('polite')
    wiz.run.state = 'running'
    wiz.run.progress = { fraction: 0.37 } as never
    await nextTick()
    expect(live().text()).toBe('Transform 30% done')
    wiz.run.progress = { fraction: 0.39 } as never
    await nextTick()
    expect(live().text()).toBe('Transform 30% done')
    wiz.run.state = 'succeeded'
    wiz.run.manifest = manifest
    await nextTick()
    expect(live().text()).toBe(`Transform finished: ${formatNumber(manifest.counters.rows_written)} rows written.`)
    w.unmount()
  })
})
