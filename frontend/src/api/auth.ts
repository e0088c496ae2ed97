// Sign-in (Cognito) and the S3 data bucket: the bridge to app_auth.go.
// Re-exported from api/index.ts; components import from '../api' only.
import * as App from '../../wailsjs/go/main/App'
import type { Settings } from './types'

export type AwsSettings = Settings['aws']

export type ChallengeName = 'NEW_PASSWORD_REQUIRED' | 'SOFTWARE_TOKEN_MFA' | 'SMS_MFA' | 'SELECT_MFA_TYPE' | 'MFA_SETUP'

export interface Challenge {
  name: ChallengeName
  required_attributes?: string[] | null
  mfa_choices?: string[] | null
  code_destination?: string
  setup_secret?: string
  setup_uri?: string
}

export interface AuthState {
  signed_in: boolean
  username?: string
  email?: string
  expiry?: string
  remembered: boolean
  keychain_available: boolean
  keychain_problem?: string
  challenge?: Challenge | null
}

export interface ChallengeAnswer {
  new_password?: string
  attributes?: Record<string, string>
  code?: string
  mfa_type?: string
}

export interface CloudStatus {
  credential_source: string
  cognito_configured: boolean
  s3_ready: boolean
  // AWS credentials are available, bucket or not (the Clean Rooms tab).
  aws_ready?: boolean
  bucket: string
  prefix: string
  reason?: string
  auth: AuthState
}

export interface S3Entry {
  key: string
  name: string
  folder: boolean
  size: number
  last_modified: string
}

export interface S3Page {
  bucket: string
  prefix: string
  entries: S3Entry[] | null
  next_token: string
  scanned: number
}

async function call<T>(p: Promise<unknown>): Promise<T> {
  try {
    return (await p) as T
  } catch (e) {
    throw new Error(typeof e === 'string' ? e : e instanceof Error ? e.message : String(e))
  }
}

export const authApi = {
  restore: () => call<CloudStatus>(App.RestoreSession()),
  status: () => call<CloudStatus>(App.CloudStatus()),
  signIn: (username: string, password: string, remember: boolean) => call<AuthState>(App.SignIn(username, password, remember)),
  answer: (a: ChallengeAnswer) => call<AuthState>(App.AnswerChallenge(a as never)),
  cancelSignIn: () => call<AuthState>(App.CancelSignIn()),
  signOut: () => call<AuthState>(App.SignOut()),
  setClientSecret: (clientId: string, secret: string) => call<void>(App.SetClientSecret(clientId, secret)),
  hasClientSecret: (clientId: string) => call<boolean>(App.HasClientSecret(clientId)),
  // The AWS settings with runtimeConfig.json's values (not saved); null when cancelled.
  importRuntimeConfig: (current: AwsSettings) => call<AwsSettings | null>(App.ImportRuntimeConfig(current as never)),
  s3List: (prefix: string, token: string) => call<S3Page>(App.S3List(prefix, token)),
  s3Search: (prefix: string, name: string, token: string) => call<S3Page>(App.S3Search(prefix, name, token)),
}

export type AuthApi = typeof authApi
