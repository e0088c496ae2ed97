import { defineConfig } from 'vitest/config'
import vue from '@vitejs/plugin-vue'
import { readFileSync } from 'node:fs'

// The runtime npm dependencies bundled into the app, with the exact versions
// and licence identifiers package-lock.json records, for the About dialog.
function npmComponents() {
  const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'))
  const lock = JSON.parse(readFileSync(new URL('./package-lock.json', import.meta.url), 'utf8'))
  return Object.keys(pkg.dependencies ?? {})
    .sort()
    .map((name) => {
      const entry = lock.packages?.[`node_modules/${name}`] ?? {}
      return { name, version: String(entry.version ?? 'unknown'), license: String(entry.license ?? 'not stated') }
    })
}

export default defineConfig({
  plugins: [vue()],
  define: { __NPM_COMPONENTS__: JSON.stringify(npmComponents()) },
  build: {
    target: 'es2020',
    chunkSizeWarningLimit: 1200,
    reportCompressedSize: true,
  },
  test: {
    environment: 'happy-dom',
    include: ['src/**/*.spec.ts'],
  },
})
