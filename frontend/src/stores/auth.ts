import { defineStore } from 'pinia'
import { authApi, type AuthState, type ChallengeAnswer, type CloudStatus } from '../api'

// Sign-in state and whether the S3 tab applies. The app works offline with
// no sign-in at all: the sign-in screen only shows when Cognito is set up,
// and "Continue offline" closes it.
export const useAuthStore = defineStore('auth', {
  state: () => ({
    status: null as CloudStatus | null,
    busy: false,
    error: '',
    // The sign-in screen is open (over the wizard).
    screen: false,
    // The person chose to work offline this session.
    offline: false,
  }),
  getters: {
    state(s): AuthState | null {
      return s.status?.auth ?? null
    },
    signedIn(): boolean {
      return !!this.state?.signed_in
    },
    challenge(): AuthState['challenge'] {
      return this.state?.challenge ?? null
    },
    cognito(s): boolean {
      return !!s.status?.cognito_configured
    },
    s3Ready(s): boolean {
      return !!s.status?.s3_ready
    },
    // AWS credentials without needing a bucket: Step 1's Clean Rooms tab.
    awsReady(s): boolean {
      return !!s.status?.aws_ready
    },
    who(): string {
      return this.state?.email || this.state?.username || ''
    },
  },
  actions: {
    // At start: resume a remembered sign-in; open the sign-in screen when
    // Cognito is configured and nobody is signed in.
    async load() {
      this.busy = true
      this.error = ''
      try {
        this.status = await authApi.restore()
      } catch (e) {
        this.error = (e as Error).message
        await this.refresh()
      } finally {
        this.busy = false
      }
      this.screen = this.cognito && !this.signedIn && !this.offline
    },
    async refresh() {
      try {
        this.status = await authApi.status()
      } catch (e) {
        this.error = (e as Error).message
      }
    },
    setAuth(a: AuthState) {
      if (this.status) this.status = { ...this.status, auth: a }
    },
    async run(f: () => Promise<AuthState>) {
      this.busy = true
      this.error = ''
      try {
        this.setAuth(await f())
        if (this.signedIn) {
          this.screen = false
          await this.refresh()
        }
      } catch (e) {
        this.error = (e as Error).message
        await this.refresh()
      } finally {
        this.busy = false
      }
    },
    signIn(username: string, password: string, remember: boolean) {
      return this.run(() => authApi.signIn(username.trim(), password, remember))
    },
    answer(a: ChallengeAnswer) {
      return this.run(() => authApi.answer(a))
    },
    async cancel() {
      this.error = ''
      this.setAuth(await authApi.cancelSignIn())
    },
    async signOut() {
      this.error = ''
      try {
        this.setAuth(await authApi.signOut())
      } catch (e) {
        this.error = (e as Error).message
      }
      await this.refresh()
    },
    openSignIn() {
      this.error = ''
      this.offline = false
      this.screen = true
    },
    continueOffline() {
      this.offline = true
      this.screen = false
      this.error = ''
      if (this.challenge) this.cancel()
    },
  },
})
