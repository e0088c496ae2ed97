// Uploading the files of a job, Concurrency at a time.

package upload

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/audience-uploader/audience-uploader/backend/tiktok"
)

// bindFiles points the job's files at the manifest as it is now (the
// folder may have moved since the job began) and checks every file's
// contents before any byte goes to TikTok.
func (u *Uploader) bindFiles(ctx context.Context, job *Job, m *Manifest, files []fileState) error {
	if err := checkFileLimit(m); err != nil {
		return err
	}
	if len(files) != len(m.Files) {
		return fmt.Errorf("%s lists %d files, upload job %s was started with %d: the folder changed since; transform the list again into a new folder", m.path, len(m.Files), job.ID, len(files))
	}
	stamps, err := m.VerifyFiles()
	if err != nil {
		return err
	}
	for i := range files {
		f := &files[i]
		mf := m.Files[f.idx]
		if mf.MD5 != f.md5 || mf.CalculateType != f.calculateType {
			return fmt.Errorf("%s is not the file upload job %s was started with (its MD5 or type differs): the folder changed since; transform the list again into a new folder", mf.Path, job.ID)
		}
		f.path, f.stamp = mf.Path, stamps[f.idx]
	}
	if job.ManifestPath != m.path {
		if err := u.cfg.Store.moveJob(ctx, job.ID, m.path, files); err != nil {
			return err
		}
		u.logf(job.ID, "info", "the folder moved from %s to %s; resuming there", filepath.Dir(job.ManifestPath), filepath.Dir(m.path))
		job.ManifestPath = m.path
	}
	return nil
}

// uploadFiles uploads every file without a file_path, Concurrency at a time,
// storing each file_path as soon as TikTok returns it.
func (u *Uploader) uploadFiles(ctx context.Context, job *Job, files []fileState, res *Result) error {
	var todo []int
	for i, f := range files {
		if f.filePath == "" {
			todo = append(todo, i)
		} else {
			res.Reused++
			u.emit(Event{JobID: job.ID, Kind: EventFileDone, File: filepath.Base(f.path), FileIndex: f.idx, Files: len(files), BytesSent: f.bytes, BytesTotal: f.bytes, Message: "uploaded by an earlier run"})
		}
	}
	return u.uploadSet(ctx, job, files, todo, res)
}

// uploadSet sends the files todo, Concurrency at a time; the first failure
// stops the others (errgroup, as the transform's workers do).
func (u *Uploader) uploadSet(ctx context.Context, job *Job, files []fileState, todo []int, res *Result) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(u.cfg.Concurrency)
	var mu sync.Mutex // res.Uploaded
	for _, i := range todo {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			if err := u.uploadOne(gctx, job, &files[i], len(files)); err != nil {
				return err
			}
			mu.Lock()
			res.Uploaded++
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

func (u *Uploader) uploadOne(ctx context.Context, job *Job, f *fileState, total int) error {
	name := filepath.Base(f.path)
	u.emit(Event{JobID: job.ID, Kind: EventFileStart, File: name, FileIndex: f.idx, Files: total, BytesTotal: f.bytes})
	// bindFiles read this file; one changed (or swapped) since is not sent.
	if fi, err := os.Lstat(f.path); err != nil || !f.stamp.same(fi) {
		return fmt.Errorf("%s changed after it was checked and before it was sent; nothing of it was sent. Transform the list again into a new folder", f.path)
	}
	fp, err := u.cfg.Client.UploadFile(ctx, tiktok.UploadRequest{AdvertiserID: job.AdvertiserID, CalculateType: f.calculateType, Path: f.path, MD5: f.md5,
		Progress: func(sent, size int64) {
			u.emit(Event{JobID: job.ID, Kind: EventFileBytes, File: name, FileIndex: f.idx, Files: total, BytesSent: sent, BytesTotal: size})
		}})
	if err != nil {
		return fmt.Errorf("upload %s: %w", name, err)
	}
	// Stored before anything else happens: a kill after this line never
	// re-uploads the file.
	if err := u.cfg.Store.setFilePath(context.Background(), job.ID, f.idx, fp); err != nil {
		return err
	}
	f.filePath = fp
	u.emit(Event{JobID: job.ID, Kind: EventFileDone, File: name, FileIndex: f.idx, Files: total, BytesSent: f.bytes, BytesTotal: f.bytes})
	return nil
}

func (u *Uploader) reuploadBatch(ctx context.Context, job *Job, calc string, no int, files []fileState) error {
	var todo []int
	for i := range files {
		f := &files[i]
		if f.calculateType == calc && f.batch == no {
			if err := u.cfg.Store.setFilePath(ctx, job.ID, f.idx, ""); err != nil {
				return err
			}
			f.filePath = ""
			todo = append(todo, i)
		}
	}
	return u.uploadSet(ctx, job, files, todo, &Result{})
}

func batchPaths(files []fileState, calc string, no int) []string {
	var out []string
	for _, f := range files {
		if f.calculateType == calc && f.batch == no {
			out = append(out, f.filePath)
		}
	}
	return out
}
