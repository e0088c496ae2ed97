import { describe, it, expect, vi, beforeEach } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { defineComponent, h, reactive } from 'vue'
import { mountWith, flush, fileInfo, schema } from './helpers'
import type { AuthState, CloudStatus, S3Page } from '../api'

vi.mock('../api', () => ({
  api: {
    inspectFile: vi.fn(),
    discoverInput: vi.fn(),
    recentFiles: vi.fn(async () => []),
    saveSettings: vi.fn(),
  },
  authApi: {
    restore: vi.fn(),
    status: vi.fn(),
    signIn: vi.fn(),
    answer: vi.fn(),
    cancelSignIn: vi.fn(),
    signOut: vi.fn(),
    setClientSecret: vi.fn(async () => undefined),
    hasClientSecret: vi.fn(async () => false),
    importRuntimeConfig: vi.fn(),
    s3List: vi.fn(),
    s3Search: vi.fn(),
  },
}))
import { api, authApi } from '../api'
import { useAuthStore } from '../stores/auth'
import { useWizardStore } from '../stores/wizard'
import SignInView from '../components/auth/SignInView.vue'
import UserMenu from '../components/auth/UserMenu.vue'
import AwsSettings from '../components/auth/AwsSettings.vue'
import S3Browser from '../components/auth/S3Browser.vue'
import SelectFileStep from '../components/steps/SelectFileStep.vue'

const a = authApi as unknown as Record<string, ReturnType<typeof vi.fn>>
const m = api as unknown as Record<string, ReturnType<typeof vi.fn>>

const signedOut: AuthState = { signed_in: false, remembered: false, keychain_available: true }
const signedIn: AuthState = { signed_in: true, username: 'u-1', email: 'demo@example.com', remembered: true, keychain_available: true }
function status(auth: AuthState, over: Partial<CloudStatus> = {}): CloudStatus {
  return {
    credential_source: 'cognito',
    cognito_configured: true,
    s3_ready: auth.signed_in,
    bucket: 'demo-data',
    prefix: '',
    reason: auth.signed_in ? '' : 'Sign in to browse the data bucket.',
    auth,
    ...over,
  }
}
const withChallenge = (c: AuthState['challenge']): AuthState => ({ ...signedOut, challenge: c })

async function loaded(st: CloudStatus) {
  const pinia = createPinia()
  setActivePinia(pinia)
  a.restore.mockResolvedValue(st)
  a.status.mockResolvedValue(st)
  const auth = useAuthStore()
  await auth.load()
  return { pinia, auth }
}

const input = (w: ReturnType<typeof mountWith>, id: string) => w.find(`[data-testid="${id}"] input`)

describe('auth store', () => {
  beforeEach(() => vi.clearAllMocks())

  it('opens the sign-in screen only when Cognito is configured and nobody is signed in', async () => {
    expect((await loaded(status(signedOut))).auth.screen).toBe(true)
    expect((await loaded(status(signedIn))).auth.screen).toBe(false)
    expect((await loaded(status(signedOut, { cognito_configured: false }))).auth.screen).toBe(false)
  })

  it('continue offline closes the screen and drops a pending challenge', async () => {
    const { auth } = await loaded(status(withChallenge({ name: 'SMS_MFA' })))
    a.cancelSignIn.mockResolvedValue(signedOut)
    auth.continueOffline()
    await flush()
    expect(auth.screen).toBe(false)
    expect(a.cancelSignIn).toHaveBeenCalled()
  })
})

describe('SignInView', () => {
  beforeEach(() => {
    vi.clearAllMocks()
    document.body.innerHTML = ''
  })

  it('signs in with user name, password and remember me, and shows errors in plain words', async () => {
    const { pinia, auth } = await loaded(status(signedOut))
    a.signIn.mockRejectedValueOnce(new Error('The user name or password is incorrect.'))
    const w = mountWith(SignInView, pinia)
    await w.find('form').trigger('submit')
    expect(w.find('[data-testid="signin-error"]').text()).toContain('Enter your user name')
    expect(a.signIn).not.toHaveBeenCalled()
    await input(w, 'signin-username').setValue(' demo@example.com ')
    await input(w, 'signin-password').setValue('wrong')
    await input(w, 'signin-password').trigger('keydown', { key: 'Enter' })
    await flush()
    expect(a.signIn).toHaveBeenCalledWith('demo@example.com', 'wrong', true)
    expect(w.find('[data-testid="signin-error"]').text()).toBe('The user name or password is incorrect.')
    a.signIn.mockResolvedValueOnce(signedIn)
    a.status.mockResolvedValue(status(signedIn))
    await input(w, 'signin-password').setValue('Demo-Pass-1!')
    await w.find('form').trigger('submit')
    await flush()
    await flush()
    expect(auth.signedIn).toBe(true)
    expect(auth.screen).toBe(false)
    expect(auth.s3Ready).toBe(true)
  })

  it('new password: both fields must match and required attributes are asked for', async () => {
    const { pinia } = await loaded(status(withChallenge({ name: 'NEW_PASSWORD_REQUIRED', required_attributes: ['name'] })))
    const w = mountWith(SignInView, pinia)
    expect(w.text()).toContain('Choose a new password')
    await input(w, 'challenge-new-password').setValue('New-Pass-2!')
    await input(w, 'challenge-confirm').setValue('Other-Pass-2!')
    await w.find('form').trigger('submit')
    expect(w.find('[data-testid="signin-error"]').text()).toContain('The two passwords differ')
    await input(w, 'challenge-confirm').setValue('New-Pass-2!')
    await w.find('form').trigger('submit')
    expect(w.find('[data-testid="signin-error"]').text()).toContain('Fill in Full name')
    a.answer.mockResolvedValue(signedIn)
    await input(w, 'challenge-attr-name').setValue('Demo Person')
    await w.find('form').trigger('submit')
    await flush()
    expect(a.answer).toHaveBeenCalledWith({ new_password: 'New-Pass-2!', attributes: { name: 'Demo Person' } })
  })

  it('authenticator and SMS codes need 6 digits; SMS names the destination', async () => {
    const { pinia } = await loaded(status(withChallenge({ name: 'SMS_MFA', code_destination: '+*******0123' })))
    const w = mountWith(SignInView, pinia)
    expect(w.text()).toContain('+*******0123')
    await input(w, 'challenge-code').setValue('12')
    await w.find('form').trigger('submit')
    expect(w.find('[data-testid="signin-error"]').text()).toBe('Enter the 6-digit code.')
    a.answer.mockRejectedValueOnce(new Error('The code is not correct: check it and try again.'))
    await input(w, 'challenge-code').setValue('123456')
    await w.find('form').trigger('submit')
    await flush()
    expect(a.answer).toHaveBeenCalledWith({ code: '123456' })
    expect(w.find('[data-testid="signin-error"]').text()).toContain('The code is not correct')
  })

  it('choosing the MFA type sends the choice; cancel drops the sign-in', async () => {
    const { pinia, auth } = await loaded(status(withChallenge({ name: 'SELECT_MFA_TYPE', mfa_choices: ['SMS_MFA', 'SOFTWARE_TOKEN_MFA'] })))
    const w = mountWith(SignInView, pinia)
    expect(w.text()).toContain('Authenticator app')
    await w.find('[data-testid="mfa-SOFTWARE_TOKEN_MFA"] input').setValue(true)
    a.answer.mockResolvedValue(withChallenge({ name: 'SOFTWARE_TOKEN_MFA' }))
    await w.find('form').trigger('submit')
    await flush()
    expect(a.answer).toHaveBeenCalledWith({ mfa_type: 'SOFTWARE_TOKEN_MFA' })
    expect(w.text()).toContain('Enter your authenticator code')
    a.cancelSignIn.mockResolvedValue(signedOut)
    await w.find('[data-testid="challenge-cancel"]').trigger('click')
    await flush()
    expect(auth.challenge).toBeNull()
    expect(w.find('[data-testid="signin-username"]').exists()).toBe(true)
  })

  it('authenticator setup draws the otpauth URI as a QR code and shows the secret', async () => {
    const uri = 'otpauth://totp/Audience%20Uploader:demo?secret=JBSWY3DPEHPK3PXP&issuer=Audience%20Uploader'
    const { pinia } = await loaded(status(withChallenge({ name: 'MFA_SETUP', setup_secret: 'JBSWY3DPEHPK3PXP', setup_uri: uri })))
    const w = mountWith(SignInView, pinia)
    expect(w.find('[data-testid="mfa-qr"] svg').exists()).toBe(true)
    expect(w.find('[data-testid="mfa-qr"]').html().length).toBeGreaterThan(1000)
    expect(w.find('[data-testid="mfa-secret"]').text()).toBe('JBSWY3DPEHPK3PXP')
    a.answer.mockResolvedValue(signedIn)
    await input(w, 'challenge-code').setValue('654321')
    await w.find('form').trigger('submit')
    expect(a.answer).toHaveBeenCalledWith({ code: '654321' })
  })

  it('says when there is no keychain, and remember me is off', async () => {
    const noKeychain = { ...signedOut, keychain_available: false, keychain_problem: 'No OS keychain is available: you will have to sign in each time the app starts.' }
    const { pinia } = await loaded(status(noKeychain))
    const w = mountWith(SignInView, pinia)
    expect(w.find('[data-testid="keychain-notice"]').text()).toContain('No OS keychain')
    expect(w.find('[data-testid="signin-remember"]').classes().join(' ')).toContain('disabled')
    expect(w.find('[data-testid="signin-remember"]').attributes('aria-checked')).toBe('false')
  })

  it('Continue offline leaves the screen', async () => {
    const { pinia, auth } = await loaded(status(signedOut))
    const w = mountWith(SignInView, pinia)
    await w.find('[data-testid="signin-offline"]').trigger('click')
    expect(auth.screen).toBe(false)
  })
})

describe('UserMenu', () => {
  beforeEach(() => {
    vi.clearAllMocks()
    document.body.innerHTML = ''
  })

  it('shows who is signed in and signs out', async () => {
    const { pinia, auth } = await loaded(status({ ...signedIn, keychain_available: false }))
    const w = mountWith(UserMenu, pinia)
    expect(w.text()).toContain('demo@example.com')
    expect(w.find('[data-testid="memory-only"]').exists()).toBe(true)
    a.signOut.mockResolvedValue(signedOut)
    a.status.mockResolvedValue(status(signedOut))
    await w.find('[data-testid="user-menu-button"]').trigger('click')
    await flush()
    const item = [...document.querySelectorAll('.n-dropdown-option-body')].find((e) => e.textContent?.includes('Sign out')) as HTMLElement
    expect(item).toBeTruthy()
    item.click()
    await flush()
    await flush()
    expect(a.signOut).toHaveBeenCalled()
    expect(auth.signedIn).toBe(false)
    expect(w.find('[data-testid="user-signin"]').exists()).toBe(true)
  })

  it('is empty when Cognito is not configured (offline mode)', async () => {
    const { pinia } = await loaded(status(signedOut, { cognito_configured: false, s3_ready: false }))
    const w = mountWith(UserMenu, pinia)
    expect(w.find('[data-testid="user-signin"]').exists()).toBe(false)
    expect(w.find('[data-testid="user-menu"]').exists()).toBe(false)
  })
})

describe('AwsSettings', () => {
  beforeEach(() => {
    vi.clearAllMocks()
    document.body.innerHTML = ''
  })

  function mountAws(pinia: ReturnType<typeof createPinia>) {
    const model = reactive({
      aws: { credential_source: 'cognito', profile: '', region: '', user_pool_id: '', app_client_id: 'client-1', identity_pool_id: '', bucket: '', prefix: '' },
      saves: 0,
    })
    const Host = defineComponent({
      render: () =>
        h(AwsSettings, {
          aws: model.aws,
          'onUpdate:aws': (v: typeof model.aws) => (model.aws = v),
          onSave: () => model.saves++,
        }),
    })
    return { w: mountWith(Host, pinia), model }
  }

  it('imports runtimeConfig.json into the form (not saved) and saves the secret in the keychain', async () => {
    const { pinia } = await loaded(status(signedOut, { cognito_configured: false }))
    const { w, model } = mountAws(pinia)
    await flush()
    expect(a.hasClientSecret).toHaveBeenCalledWith('client-1')
    a.importRuntimeConfig.mockResolvedValue({ ...model.aws, region: 'eu-west-1', user_pool_id: 'eu-west-1_X', bucket: 'lists' })
    await w.find('[data-testid="aws-import"]').trigger('click')
    await flush()
    expect(model.aws.bucket).toBe('lists')
    expect((input(w, 'aws-pool').element as HTMLInputElement).value).toBe('eu-west-1_X')
    expect(model.saves).toBe(0)
    await input(w, 'aws-secret').setValue('s3cr3t')
    a.hasClientSecret.mockResolvedValue(true)
    await w.find('[data-testid="aws-secret-save"]').trigger('click')
    await flush()
    expect(a.setClientSecret).toHaveBeenCalledWith('client-1', 's3cr3t')
    expect(w.find('[data-testid="aws-secret-remove"]').exists()).toBe(true)
    await w.find('[data-testid="aws-save"]').trigger('click')
    expect(model.saves).toBe(1)
  })

  it('shows an import error as a sentence, and the profile field for the AWS chain', async () => {
    const { pinia } = await loaded(status(signedOut))
    const { w, model } = mountAws(pinia)
    a.importRuntimeConfig.mockRejectedValue(new Error('Reading runtimeConfig.json: it is not valid JSON. Choose the runtimeConfig.json of the web solution.'))
    await w.find('[data-testid="aws-import"]').trigger('click')
    await flush()
    expect(w.find('[data-testid="aws-error"]').text()).toContain('not valid JSON')
    model.aws.credential_source = 'aws-chain'
    await flush()
    expect(w.find('[data-testid="aws-profile"]').exists()).toBe(true)
    expect(w.find('[data-testid="aws-pool"]').exists()).toBe(false)
  })
})

describe('S3Browser', () => {
  beforeEach(() => {
    vi.clearAllMocks()
    document.body.innerHTML = ''
  })
  const page = (prefix: string, names: Array<[string, boolean]>, next = ''): S3Page => ({
    bucket: 'demo-data',
    prefix,
    entries: names.map(([n, folder]) => ({
      key: prefix + n,
      name: n,
      folder,
      size: folder ? 0 : 2048,
      last_modified: folder ? '0001-01-01T00:00:00Z' : '2026-11-28T10:00:00Z',
    })),
    next_token: next,
    scanned: names.length,
  })

  it('browses folders with breadcrumbs, pages with load more, searches, and picks a file', async () => {
    const { pinia } = await loaded(status(signedIn))
    a.s3List.mockResolvedValueOnce(page('', [['lists/', true], ['a.csv', false]], 'tok-1'))
    const w = mountWith(S3Browser, pinia)
    await flush()
    expect(a.s3List).toHaveBeenCalledWith('', '')
    expect(w.findAll('[data-testid="s3-folder"]')).toHaveLength(1)
    expect(w.text()).toContain('2.0 KB')
    a.s3List.mockResolvedValueOnce(page('', [['b.csv', false]]))
    await w.find('[data-testid="s3-more"]').trigger('click')
    await flush()
    expect(a.s3List).toHaveBeenLastCalledWith('', 'tok-1')
    expect(w.findAll('[data-testid="s3-file"]')).toHaveLength(2)
    expect(w.find('[data-testid="s3-more"]').exists()).toBe(false)

    a.s3List.mockResolvedValueOnce(page('lists/', [['customers.csv', false]]))
    await w.find('[data-testid="s3-folder"]').trigger('click')
    await flush()
    expect(a.s3List).toHaveBeenLastCalledWith('lists/', '')
    expect(w.find('[data-testid="s3-crumbs"]').text()).toContain('lists')

    a.s3Search.mockResolvedValueOnce(page('lists/', []))
    await input(w, 's3-search').setValue('zzz')
    await input(w, 's3-search').trigger('keydown', { key: 'Enter' })
    await flush()
    expect(a.s3Search).toHaveBeenCalledWith('lists/', 'zzz', '')
    expect(w.text()).toContain('No file matches that name.')

    a.s3List.mockResolvedValueOnce(page('lists/', [['customers.csv', false]]))
    await w.find('[data-testid="s3-search-clear"]').trigger('click')
    await flush()
    m.inspectFile.mockResolvedValue({ ...fileInfo, path: 's3://demo-data/lists/customers.csv' })
    m.discoverInput.mockResolvedValue(schema)
    await w.find('[data-testid="s3-file"]').trigger('click')
    await flush()
    await flush()
    expect(m.inspectFile).toHaveBeenCalledWith('s3://demo-data/lists/customers.csv')
    expect(m.discoverInput).toHaveBeenCalledWith({ path: 's3://demo-data/lists/customers.csv', region: 'US', header: 'auto', sheet: '' })
    expect(useWizardStore().schema).not.toBeNull()

    a.s3List.mockRejectedValueOnce(new Error('Listing s3://demo-data/lists/ failed: access denied. Check the bucket in Settings → AWS, then press Refresh.'))
    await w.find('[data-testid="s3-refresh"]').trigger('click')
    await flush()
    expect(w.find('[data-testid="s3-error"]').text()).toContain('press Refresh')
  })

  it('"Use this folder" opens the current prefix as one list of parts', async () => {
    const { pinia } = await loaded(status(signedIn))
    a.s3List.mockResolvedValueOnce(page('', [['results/', true]]))
    const w = mountWith(S3Browser, pinia)
    await flush()
    // Only sub-folders here: nothing to read as parts yet.
    expect(w.find('[data-testid="s3-use-folder"]').attributes('disabled')).toBeDefined()
    a.s3List.mockResolvedValueOnce(page('results/', [['_SUCCESS', false], ['part-00000.parquet', false], ['part-00001.parquet', false]]))
    await w.find('[data-testid="s3-folder"]').trigger('click')
    await flush()
    m.inspectFile.mockResolvedValue({ ...fileInfo, path: 's3://demo-data/results/', name: 'results/', parts: 2 })
    m.discoverInput.mockResolvedValue(schema)
    await w.find('[data-testid="s3-use-folder"]').trigger('click')
    await flush()
    await flush()
    expect(m.inspectFile).toHaveBeenCalledWith('s3://demo-data/results/')
    expect(m.discoverInput).toHaveBeenCalledWith({ path: 's3://demo-data/results/', region: 'US', header: 'auto', sheet: '' })
    expect(w.find('[data-testid="s3-use-folder"]').text()).toBe('Using this folder')
  })

  it('the S3 tab appears in Select file only when S3 is ready', async () => {
    const off = await loaded(status(signedOut))
    let w = mountWith(SelectFileStep, off.pinia)
    await flush()
    expect(w.find('[data-testid="source-tabs"]').exists()).toBe(false)
    expect(w.find('[data-testid="drop-zone"]').exists()).toBe(true)
    w.unmount()
    const on = await loaded(status(signedIn))
    a.s3List.mockResolvedValue(page('', [['a.csv', false]]))
    w = mountWith(SelectFileStep, on.pinia)
    await flush()
    expect(w.find('[data-testid="source-tabs"]').exists()).toBe(true)
    const tabs = w.findAll('.n-tabs-tab')
    await tabs[1].trigger('click')
    await flush()
    expect(w.find('[data-testid="s3-browser"]').exists()).toBe(true)
    expect(w.find('[data-testid="drop-zone"]').exists()).toBe(false)
  })
})
