import { createApp } from 'vue'
import { createPinia } from 'pinia'
import App from './App.vue'
import { startLagMonitor } from './lib/lag'
import { fixNaiveAria } from './lib/naiveAria'
import './style.css'

declare global {
  interface Window {
    __eventLoopLag?: ReturnType<typeof startLagMonitor>
  }
}

window.__eventLoopLag = startLagMonitor()
createApp(App).use(createPinia()).mount('#app')
fixNaiveAria(document.body)
