/// <reference types="vite/client" />
declare module '*.vue' {
  import type { DefineComponent } from 'vue'
  const component: DefineComponent<object, object, unknown>
  export default component
}
// vite.config.ts: runtime npm dependencies with package-lock's versions and licences
declare const __NPM_COMPONENTS__: Array<{ name: string; version: string; license: string }>
