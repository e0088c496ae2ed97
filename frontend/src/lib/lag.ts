// Measures the page's event-loop lag: how late a 50 ms timer fires. The
// e2e test reads window.__eventLoopLag to report responsiveness during a run.
export interface LagStats {
  samples: number
  maxMs: number
  p95Ms: number
  meanMs: number
  reset: () => void
}

export function startLagMonitor(intervalMs = 50): LagStats {
  let lags: number[] = []
  let last = performance.now()
  setInterval(() => {
    const now = performance.now()
    lags.push(Math.max(0, now - last - intervalMs))
    if (lags.length > 20000) lags = lags.slice(-10000)
    last = now
  }, intervalMs)
  const stats = {
    get samples() {
      return lags.length
    },
    get maxMs() {
      return lags.reduce((a, b) => Math.max(a, b), 0)
    },
    get p95Ms() {
      if (!lags.length) return 0
      const s = [...lags].sort((a, b) => a - b)
      return s[Math.min(s.length - 1, Math.floor(s.length * 0.95))]
    },
    get meanMs() {
      return lags.length ? lags.reduce((a, b) => a + b, 0) / lags.length : 0
    },
    reset() {
      lags = []
      last = performance.now()
    },
  }
  return stats as LagStats
}
