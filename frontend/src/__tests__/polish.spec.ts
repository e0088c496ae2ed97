// Issue 11's polish, checked on the app's own sources and rendered DOM:
// every input says what to type (never naive-ui's "Please Input"/"Please
// Select"), and no symbol glyph that WebKitGTK's stock fonts may lack is
// rendered as text (arrows are inline SVG icons with words for screen readers).
import { describe, it, expect, vi, beforeEach } from 'vitest'
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { defineComponent, h } from 'vue'
import { mount } from '@vue/test-utils'
import { parse } from '@vue/compiler-sfc'
import type { AttributeNode, DirectiveNode, ElementNode, TemplateChildNode } from '@vue/compiler-core'
import { NConfigProvider, NInput, NInputNumber, NSelect } from 'naive-ui'
import { createPinia, setActivePinia } from 'pinia'
import { mountWith, flush, fileInfo, schema } from './helpers'

vi.mock('../api', () => ({
  api: {
    recentFiles: vi.fn(async () => []),
    onProgress: vi.fn(() => () => {}),
    onDone: vi.fn(() => () => {}),
    onFileDrop: vi.fn(() => () => {}),
    history: vi.fn(async () => []),
  },
  authApi: {
    restore: vi.fn(),
    status: vi.fn(),
    hasClientSecret: vi.fn(async () => false),
  },
}))
import { authApi } from '../api'
import { useAuthStore } from '../stores/auth'
import { useWizardStore } from '../stores/wizard'
import { appLocale } from '../lib/locale'
import SignInView from '../components/auth/SignInView.vue'
import WizardView from '../views/WizardView.vue'

// vitest runs in frontend/ (package.json's test script, make test-vitest).
const src = join(process.cwd(), 'src') + '/'
function sources(dir = src): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) return name === '__tests__' ? [] : sources(p)
    return /\.(vue|ts)$/.test(name) ? [p] : []
  })
}
const rel = (p: string) => p.slice(src.length)

// naive-ui components that fall back to the locale's "Please …" placeholder.
const fields = ['input', 'select', 'input-number', 'auto-complete', 'date-picker', 'time-picker', 'cascader', 'tree-select', 'mention']
const fieldTags = new Set(fields.flatMap((f) => [`n-${f}`, 'N' + f.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase())]))
const fieldComponents = [...fieldTags].filter((t) => t.startsWith('N'))

function elements(nodes: TemplateChildNode[]): ElementNode[] {
  return nodes.flatMap((n) => (n.type === 1 ? [n, ...elements(n.children)] : 'children' in n && Array.isArray(n.children) ? elements(n.children as TemplateChildNode[]) : []))
}
const hasPlaceholder = (el: ElementNode) =>
  el.props.some((p: AttributeNode | DirectiveNode) => (p.type === 6 && p.name === 'placeholder') || (p.type === 7 && p.name === 'bind' && p.arg?.type === 4 && p.arg.content === 'placeholder'))

// The object literal passed to h(NSelect, {...}): from its brace to the matching one.
function hCallProps(code: string, at: number): string {
  const open = code.indexOf('{', at)
  let depth = 0
  for (let i = open; i < code.length; i++) {
    if (code[i] === '{') depth++
    else if (code[i] === '}' && --depth === 0) return code.slice(open, i + 1)
  }
  return ''
}

// Characters every UI font has beyond Latin-1: ellipsis, dashes, quotes, bullet, minus.
const typographic = new Set([...'…—–‘’“”•−'])
function glyphs(text: string): string[] {
  return [...text].filter((c) => c.codePointAt(0)! > 0xff && !typographic.has(c))
}
const withoutComments = (code: string) =>
  code.replace(/<!--[\s\S]*?-->/g, '').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|\s)\/\/.*$/gm, '$1')

describe('placeholders say what to type', () => {
  beforeEach(() => {
    document.body.innerHTML = ''
  })

  it('every naive-ui text field and select in a template or render function has its own placeholder', () => {
    const missing: string[] = []
    for (const file of sources()) {
      const code = readFileSync(file, 'utf8')
      if (file.endsWith('.vue')) {
        const { descriptor } = parse(code, { filename: file })
        if (descriptor.template) {
          for (const el of elements(descriptor.template.ast!.children)) {
            if (fieldTags.has(el.tag) && !hasPlaceholder(el)) missing.push(`${rel(file)}:${el.loc.start.line} <${el.tag}>`)
          }
        }
      }
      for (const comp of fieldComponents) {
        for (const m of code.matchAll(new RegExp(`\\bh\\(\\s*${comp}\\s*,`, 'g'))) {
          if (!/\bplaceholder\s*:/.test(hCallProps(code, m.index!))) missing.push(`${rel(file)} h(${comp})`)
        }
      }
    }
    expect(missing).toEqual([])
  }, 60_000) // parses every component: slow on a loaded 2-core machine

  it("the app's locale leaves a forgotten placeholder empty instead of 'Please Input' / 'Please Select'", () => {
    const Probe = defineComponent({
      render: () =>
        h(NConfigProvider, { locale: appLocale }, () => [h(NInput), h(NInputNumber), h(NSelect, { options: [{ label: 'a', value: 'a' }] })]),
    })
    const w = mount(Probe, { attachTo: document.body })
    expect(w.text()).not.toMatch(/Please/)
    // Without it naive-ui would say it: the probe can tell.
    const bare = mount(defineComponent({ render: () => h(NInput) }), { attachTo: document.body })
    expect(bare.text()).toContain('Please Input')
    w.unmount()
    bare.unmount()
  }, 30_000)

  it('App.vue gives naive-ui that locale', () => {
    const { descriptor } = parse(readFileSync(join(src, 'App.vue'), 'utf8'))
    const provider = elements(descriptor.template!.ast!.children).find((e) => e.tag === 'n-config-provider')!
    expect(provider.props.some((p: AttributeNode | DirectiveNode) => p.type === 7 && p.arg?.type === 4 && p.arg.content === 'locale' && p.exp?.type === 4 && p.exp.content === 'appLocale')).toBe(true)
  })

  it('the sign-in form shows you@example.com and no default placeholder', async () => {
    const pinia = createPinia()
    setActivePinia(pinia)
    const st = { cognito: true, signed_in: false, auth: { signed_in: false, remembered: false, keychain_available: true } }
    ;(authApi.restore as ReturnType<typeof vi.fn>).mockResolvedValue(st)
    ;(authApi.status as ReturnType<typeof vi.fn>).mockResolvedValue(st)
    await useAuthStore().load()
    const w = mountWith(SignInView, pinia)
    await flush()
    expect(w.find('[data-testid="signin-username"] input').attributes('placeholder')).toBe('you@example.com')
    expect(w.find('[data-testid="signin-password"] input').attributes('placeholder')).toBe('Your password')
    expect(document.body.innerHTML).not.toMatch(/Please (Input|Select)/)
  })
})

describe('no symbol glyphs the stock fonts may lack', () => {
  beforeEach(() => {
    document.body.innerHTML = ''
  })

  it('no source renders an arrow, check mark or other symbol character as text', () => {
    const found = sources().flatMap((file) => glyphs(withoutComments(readFileSync(file, 'utf8'))).map((c) => `${rel(file)}: ${c} U+${c.codePointAt(0)!.toString(16).toUpperCase()}`))
    expect(found).toEqual([])
  })

  it('the wizard footer draws its arrows as SVG hidden from screen readers, which hear the key names', async () => {
    const pinia = createPinia()
    setActivePinia(pinia)
    const wiz = useWizardStore()
    wiz.file = fileInfo // a file is open, so the footer shows the key hint, not what blocks
    wiz.schema = schema
    const w = mountWith(WizardView, pinia)
    await flush()
    const hint = w.find('[data-testid="footer-hint"]')
    expect(glyphs(hint.text())).toEqual([])
    expect(hint.findAll('svg[aria-hidden="true"]')).toHaveLength(2)
    expect(hint.text().replace(/\s+/g, ' ')).toBe('Alt + Right arrow next step · Alt + Left arrow previous step')
  })
})
