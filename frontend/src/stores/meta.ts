import { defineStore } from 'pinia'
import { metaApi, type MetaState } from '../api'

// Where Meta stands (Settings > Meta): Step 2 offers Meta only when an ad
// account and a token are there.
export const useMetaStore = defineStore('meta', {
  state: () => ({
    state: null as MetaState | null,
    error: '',
  }),
  getters: {
    ready(s): boolean {
      return !!s.state?.ready
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
  },
})
