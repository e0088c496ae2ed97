import { defineStore } from 'pinia'
import { audiencesApi, metaApi, type AudienceRow, type MetaJob, type MetaState, type MetaUploadDone, type MetaUploadResult } from '../api'

export type MetaUploadState = 'idle' | 'starting' | 'running' | 'succeeded' | 'failed' | 'cancelled'

function freshUpload() {
  return { state: 'idle' as MetaUploadState, outputDir: '', jobId: '', lines: [] as string[], result: null as MetaUploadResult | null, error: '' }
}

// Where Meta stands (Settings > Meta): Step 2 offers Meta only when an ad
// account and a token are there. Also step 5's upload to Meta.
export const useMetaStore = defineStore('meta', {
  state: () => ({
    state: null as MetaState | null,
    error: '',
    upload: freshUpload(),
    listening: false,
    // The ad account's audiences for Step 2's picker.
    audiences: [] as AudienceRow[],
    audiencesLoading: false,
    audiencesError: '',
    // History's uploads to Meta (the journal's jobs), newest first.
    jobs: [] as MetaJob[],
    jobsError: '',
  }),
  getters: {
    ready(s): boolean {
      return !!s.state?.ready
    },
    uploading(s): boolean {
      return s.upload.state === 'starting' || s.upload.state === 'running'
    },
  },
  actions: {
    async load() {
      try {
        this.state = await metaApi.state()
        this.error = ''
      } catch (e) {
        this.error = (e as Error).message
      }
      return this.state
    },
    async loadAudiences() {
      this.audiencesLoading = true
      this.audiencesError = ''
      try {
        const l = await audiencesApi.list()
        this.audiences = (l.audiences ?? []).filter((a) => a.platform === 'meta')
        this.audiencesError = l.meta_error ?? ''
      } catch (e) {
        this.audiencesError = (e as Error).message
      } finally {
        this.audiencesLoading = false
      }
    },
    listen() {
      if (this.listening) return
      this.listening = true
      metaApi.onEvent((e) => {
        if (!this.uploading) return
        this.upload.jobId = e.job_id
        this.upload.state = 'running'
        this.upload.lines.unshift(e.message)
        this.upload.lines.splice(5)
      })
      metaApi.onDone((d) => this.onDone(d))
    },
    resetUpload() {
      this.upload = freshUpload()
    },
    // Sends a run's Meta rows to a new audience named audienceName, or to
    // the existing audienceId with action.
    async startUpload(outputDir: string, audienceName: string, audienceId = '', action = '') {
      if (this.uploading) return
      this.listen()
      this.upload = { ...freshUpload(), state: 'starting', outputDir }
      try {
        await metaApi.startUpload({ output_dir: outputDir, audience_name: audienceId ? '' : audienceName, audience_id: audienceId, action: audienceId ? action : '' })
        if (this.upload.state === 'starting') this.upload.state = 'running'
      } catch (e) {
        this.upload.state = 'failed'
        this.upload.error = (e as Error).message
      }
    },
    async loadJobs() {
      try {
        this.jobs = (await metaApi.jobs()) ?? []
        this.jobsError = ''
      } catch (e) {
        this.jobsError = (e as Error).message
      }
    },
    // Continues an unfinished upload to Meta from History (after a restart
    // too): the journal knows its rows, audience and action.
    async resumeUpload(job: MetaJob) {
      if (this.uploading) return
      this.listen()
      this.upload = { ...freshUpload(), state: 'starting', outputDir: job.output_dir ?? '', jobId: job.id }
      try {
        await metaApi.resumeUpload(job.id)
        if (this.upload.state === 'starting') this.upload.state = 'running'
      } catch (e) {
        this.upload.state = 'failed'
        this.upload.error = (e as Error).message
      }
    },
    async cancelUpload() {
      try {
        await metaApi.cancelUpload()
      } catch (e) {
        this.upload.error = (e as Error).message
      }
    },
    async refreshStatus() {
      const r = this.upload.result
      if (!r) return
      try {
        const st = await metaApi.audienceStatus(r.audience_id)
        this.upload.result = { ...r, status: st.status, size: st.size, ready: st.ready }
      } catch (e) {
        this.upload.error = (e as Error).message
      }
    },
    onDone(d: MetaUploadDone) {
      this.upload.jobId = d.job_id
      if (this.jobs.length) void this.loadJobs()
      if (d.error) {
        this.upload.state = d.cancelled ? 'cancelled' : 'failed'
        this.upload.error = d.error
        return
      }
      this.upload.state = 'succeeded'
      this.upload.error = ''
      this.upload.result = d.result ?? null
    },
  },
})
