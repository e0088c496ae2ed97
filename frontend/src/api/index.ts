// The one bridge between the UI and Go. Components and stores import from
// here, never from wailsjs/ or window.go, so tests mock this module alone.
import * as App from '../../wailsjs/go/main/App'
import { EventsOn, OnFileDrop, OnFileDropOff } from '../../wailsjs/runtime/runtime'
import type {
  AboutInfo,
  AppInfo,
  DiscoverRequest,
  DoneEvent,
  FileInfo,
  Job,
  PreviewRequest,
  PreviewResult,
  ProgressEvent,
  RecentFile,
  Region,
  Report,
  RunInfo,
  RunRequest,
  Schema,
  Settings,
} from './types'

export * from './types'

// Go returns errors as plain strings through the bridge; make them Errors.
async function call<T>(p: Promise<unknown>): Promise<T> {
  try {
    return (await p) as T
  } catch (e) {
    throw new Error(typeof e === 'string' ? e : e instanceof Error ? e.message : String(e))
  }
}

export const api = {
  hello: () => call<AppInfo>(App.Hello()),
  about: () => call<AboutInfo>(App.About()),
  getSettings: () => call<Settings>(App.GetSettings()),
  saveSettings: (s: Settings) => call<Settings>(App.SaveSettings(s as never)),
  regions: () => call<Region[]>(App.Regions()),
  chooseFile: () => call<string>(App.ChooseFile()),
  chooseFolder: (current: string) => call<string>(App.ChooseFolder(current)),
  // A folder of part files read as one list (native dialog); "" when cancelled.
  chooseInputFolder: () => call<string>(App.ChooseInputFolder()),
  inspectFile: (path: string) => call<FileInfo>(App.InspectFile(path)),
  recentFiles: () => call<RecentFile[]>(App.RecentFiles()),
  discover: (path: string, region: string) => call<Schema>(App.Discover(path, region)),
  // Discover with the header answer and the Excel sheet.
  discoverInput: (req: DiscoverRequest) => call<Schema>(App.DiscoverInput(req as never)),
  preview: (req: PreviewRequest) => call<PreviewResult>(App.Preview(req as never)),
  startRun: (req: RunRequest) => call<RunInfo>(App.StartRun(req as never)),
  cancelRun: () => call<boolean>(App.CancelRun()),
  isRunning: () => call<boolean>(App.IsRunning()),
  history: (limit: number) => call<Job[]>(App.History(limit)),
  deleteHistory: (id: number) => call<void>(App.DeleteHistory(id)),
  openFolder: (path: string) => call<void>(App.OpenFolder(path)),
  buildReport: (jobId: number) => call<Report>(App.BuildReport(jobId)),
  exportReport: (jobId: number, outputDir: string) => call<string>(App.ExportReport(jobId, outputDir)),

  onProgress: (cb: (e: ProgressEvent) => void) => EventsOn('run:progress', cb),
  onDone: (cb: (e: DoneEvent) => void) => EventsOn('run:done', cb),
  // Paths of files dropped on the window (native drag and drop).
  onFileDrop: (cb: (paths: string[]) => void): (() => void) => {
    OnFileDrop((_x: number, _y: number, paths: string[]) => cb(paths), false)
    return () => OnFileDropOff()
  },
}

export type Api = typeof api

// Sign-in and S3 (app_auth.go).
export * from './auth'

// Upload to TikTok (app_upload.go).
export * from './upload'

// Settings > Meta (app_meta.go).
export * from './meta'

// Audiences view (app_audiences.go).
export * from './audiences'

// Syncs view (app_syncs.go).
export * from './syncs'

// Step 1's AWS Clean Rooms tab (app_cleanrooms.go).
export * from './cleanrooms'
