// Measures the page's event-loop lag: how late a 50 ms timer fires. The
// e2e test reads window.__eventLoopLag to report responsiveness during a run.
export interface LagSample {
  at: number // performance.now() when the late timer fired
  lagMs: number
}

export interface LagStats {
  samples: () => LagSample[]
  summary: (from?: number, to?: number) => { samples: number; maxMs: number; p95Ms: number; meanMs: number }
  reset: () => void
}

export function startLagMonitor(intervalMs = 50): LagStats {
  let lags: LagSample[] = []
  let last = performance.now()
  setInterval(() => {
    const now = performance.now()
    lags.push({ at: now, lagMs: Math.max(0, now - last - intervalMs) })
    if (lags.length > 20000) lags = lags.slice(-10000)
    last = now
  }, intervalMs)
  return {
    samples: () => lags,
    summary(from = 0, to = Infinity) {
      const v = lags.filter((s) => s.at >= from && s.at <= to).map((s) => s.lagMs)
      if (!v.length) return { samples: 0, maxMs: 0, p95Ms: 0, meanMs: 0 }
      const sorted = [...v].sort((a, b) => a - b)
      return {
        samples: v.length,
        maxMs: sorted[sorted.length - 1],
        p95Ms: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))],
        meanMs: v.reduce((a, b) => a + b, 0) / v.length,
      }
    },
    reset() {
      lags = []
      last = performance.now()
    },
  }
}
