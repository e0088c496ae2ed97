import { defineStore } from 'pinia'
import { api, type AppInfo, type Region, type Settings } from '../api'
import { useWizardStore } from './wizard'

export type View = 'wizard' | 'history' | 'audiences' | 'syncs' | 'settings'

export const useAppStore = defineStore('app', {
  state: () => ({
    info: null as AppInfo | null,
    settings: null as Settings | null,
    regions: [] as Region[],
    view: 'wizard' as View,
    loadError: '',
  }),
  actions: {
    async load() {
      try {
        this.info = await api.hello()
        this.settings = this.info.settings
        const wiz = useWizardStore()
        if (!wiz.file) {
          wiz.region = this.settings.default_region || 'US'
          wiz.phoneFormat = this.settings.phone_format || 'digits'
        }
        this.regions = await api.regions()
      } catch (e) {
        this.loadError = `The app could not start its engine: ${(e as Error).message} Restart the app.`
      }
    },
    async saveSettings(s: Settings) {
      this.settings = await api.saveSettings(s)
      return this.settings
    },
  },
})
