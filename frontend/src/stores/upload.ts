import { defineStore } from 'pinia'
import {
  uploadApi,
  type AudienceStatus,
  type TikTokAudience,
  type TikTokState,
  type UpdateAction,
  type UploadDone,
  type UploadEvent,
  type UploadJob,
  type UploadResult,
} from '../api'

export type UploadState = 'idle' | 'starting' | 'running' | 'succeeded' | 'failed' | 'cancelled'

export interface FileProgress {
  index: number
  name: string
  sent: number
  total: number
  done: boolean
}

export interface UploadNotice {
  kind: 'retry' | 'rate_limited' | 'warning'
  message: string
  waitMs: number
  time: string
}

export const ACTION_LABELS: Record<UpdateAction, string> = {
  APPEND: 'Append to',
  REMOVE: 'Remove from',
  REPLACE: 'Replace',
}

export const STEP_LABELS: Record<string, string> = {
  uploading: 'Uploading files',
  audience: 'Creating or updating the audience',
  done: 'Done',
  failed: 'Failed',
}

function freshRun() {
  return {
    state: 'idle' as UploadState,
    jobId: '',
    outputDir: '',
    step: '',
    files: [] as FileProgress[],
    fileCount: 0,
    retries: 0,
    rateLimitWaits: 0,
    notices: [] as UploadNotice[],
    audienceIds: [] as string[],
    result: null as UploadResult | null,
    error: '',
  }
}

export const useUploadStore = defineStore('upload', {
  state: () => ({
    tiktok: null as TikTokState | null,
    stateError: '',
    audiences: [] as TikTokAudience[],
    audiencesLoaded: false,
    audiencesLoading: false,
    audiencesError: '',
    // Step 2's choice: a new audience (the default) or an existing one with an action.
    targetId: '' as string,
    action: 'APPEND' as UpdateAction,
    run: freshRun(),
    statuses: {} as Record<string, AudienceStatus>,
    followErrors: {} as Record<string, string>,
    jobs: [] as UploadJob[],
    jobsError: '',
    listening: false,
  }),
  getters: {
    ready(state): boolean {
      return !!state.tiktok?.ready
    },
    uploading(state): boolean {
      return state.run.state === 'starting' || state.run.state === 'running'
    },
    target(state): TikTokAudience | null {
      return state.audiences.find((a) => a.audience_id === state.targetId) ?? null
    },
  },
  actions: {
    // Subscribes to upload events once and follows audiences left processing
    // at the last session (called when the app starts).
    async init() {
      if (!this.listening) {
        this.listening = true
        uploadApi.onEvent((e) => this.onEvent(e))
        uploadApi.onDone((d) => this.onDone(d))
      }
      await this.loadState()
      if (this.tiktok && !this.tiktok.error) {
        try {
          await uploadApi.followPending()
        } catch (e) {
          this.stateError = (e as Error).message
        }
      }
    },
    async loadState() {
      try {
        this.tiktok = await uploadApi.tiktokState()
        this.stateError = this.tiktok.error ?? ''
      } catch (e) {
        this.stateError = (e as Error).message
      }
      return this.tiktok
    },
    async loadAudiences() {
      this.audiencesLoading = true
      this.audiencesError = ''
      try {
        this.audiences = await uploadApi.audiences()
        this.audiencesLoaded = true
        if (this.targetId && !this.target) this.targetId = ''
      } catch (e) {
        this.audiencesError = (e as Error).message
      } finally {
        this.audiencesLoading = false
      }
    },
    async loadJobs() {
      this.jobsError = ''
      try {
        this.jobs = await uploadApi.jobs()
      } catch (e) {
        this.jobsError = (e as Error).message
      }
    },
    // Reads an audience once (History's Check status); the error is a sentence.
    async checkStatus(advertiserId: string, audienceId: string) {
      const st = await uploadApi.status(advertiserId, audienceId)
      this.statuses[audienceId] = st
      delete this.followErrors[audienceId]
      return st
    },
    resetRun() {
      this.run = freshRun()
    },
    async start(outputDir: string, audienceName: string) {
      if (this.uploading) return
      this.resetRun()
      this.run.state = 'starting'
      this.run.outputDir = outputDir
      try {
        await uploadApi.startUpload({
          output_dir: outputDir,
          audience_name: this.targetId ? '' : audienceName,
          audience_id: this.targetId,
          action: this.targetId ? this.action : '',
        })
        if (this.run.state === 'starting') this.run.state = 'running'
      } catch (e) {
        this.run.state = 'failed'
        this.run.error = (e as Error).message
      }
    },
    async resume(jobId: string) {
      if (this.uploading) return
      // The job's output folder (its manifest's), so step 5 shows it only for that output.
      const job = this.jobs.find((j) => j.id === jobId)
      const outputDir = this.run.jobId === jobId ? this.run.outputDir : (job?.manifest_path.replace(/[\\/][^\\/]*$/, '') ?? '')
      this.resetRun()
      this.run.state = 'starting'
      this.run.jobId = jobId
      this.run.outputDir = outputDir
      try {
        await uploadApi.resumeUpload(jobId)
        if (this.run.state === 'starting') this.run.state = 'running'
      } catch (e) {
        this.run.state = 'failed'
        this.run.error = (e as Error).message
      }
    },
    async cancel() {
      try {
        await uploadApi.cancelUpload()
      } catch (e) {
        this.run.error = (e as Error).message
      }
    },
    onEvent(e: UploadEvent) {
      if (e.kind === 'status') {
        if (e.status && e.audience_id) this.statuses[e.audience_id] = e.status
        return
      }
      if (e.kind === 'warning' && !e.job_id && e.audience_id) {
        this.followErrors[e.audience_id] = e.message ?? ''
        return
      }
      if (!this.uploading) return
      if (e.job_id && !this.run.jobId) this.run.jobId = e.job_id
      if (e.job_id && e.job_id !== this.run.jobId) return
      if (this.run.state === 'starting') this.run.state = 'running'
      switch (e.kind) {
        case 'step':
          this.run.step = e.step ?? ''
          break
        case 'file_start':
        case 'file_bytes':
        case 'file_done': {
          this.run.fileCount = e.files
          let f = this.run.files.find((x) => x.index === e.file_index)
          if (!f) {
            f = { index: e.file_index, name: e.file ?? '', sent: 0, total: e.bytes_total ?? 0, done: false }
            this.run.files.push(f)
            this.run.files.sort((a, b) => a.index - b.index)
          }
          if (e.bytes_total) f.total = e.bytes_total
          if (e.bytes_sent !== undefined) f.sent = e.bytes_sent
          if (e.kind === 'file_done') {
            f.done = true
            f.sent = f.total
          }
          break
        }
        case 'retry':
        case 'rate_limited':
        case 'warning':
          if (e.kind === 'retry') this.run.retries++
          if (e.kind === 'rate_limited') this.run.rateLimitWaits++
          this.run.notices.unshift({ kind: e.kind, message: e.message ?? '', waitMs: Math.round((e.wait ?? 0) / 1e6), time: e.time })
          this.run.notices.splice(20)
          break
        case 'audience':
          if (e.audience_id && !this.run.audienceIds.includes(e.audience_id)) this.run.audienceIds.push(e.audience_id)
          break
      }
    },
    onDone(d: UploadDone) {
      if (this.run.jobId && d.job_id && d.job_id !== this.run.jobId) return
      this.run.jobId = d.job_id || this.run.jobId
      this.run.result = d.result ?? null
      if (d.error) {
        this.run.state = d.cancelled ? 'cancelled' : 'failed'
        this.run.error = d.error
      } else {
        this.run.state = 'succeeded'
        for (const t of d.result?.audiences ?? []) {
          if (t.audience_id && !this.run.audienceIds.includes(t.audience_id)) this.run.audienceIds.push(t.audience_id)
        }
      }
      this.loadJobs()
    },
  },
})

// 0.734 -> "73.4%"
export function formatRate(r: number | undefined): string {
  if (r === undefined || r === null || !isFinite(r)) return '—'
  return `${(r * 100).toFixed(1)}%`
}
