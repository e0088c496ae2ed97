package appsvc

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
)

// OpenFolder shows a folder in the OS file manager.
func (s *Service) OpenFolder(path string) error {
	st, err := os.Stat(path)
	if err != nil || !st.IsDir() {
		return fmt.Errorf("The folder %s does not exist any more. It may have been moved or deleted.", path)
	}
	if err := s.opts.OpenFolder(path); err != nil {
		return fmt.Errorf("The folder %s could not be opened (%v). Open it from your file manager.", path, err)
	}
	return nil
}

// openFolderOS asks the OS file manager to show dir.
func openFolderOS(dir string) error {
	cmd := openFolderCommand(runtime.GOOS, dir)
	if err := cmd.Start(); err != nil {
		return err
	}
	// Reap the launcher without blocking the caller; explorer exits non-zero even on success.
	go cmd.Wait()
	return nil
}

// openFolderCommand is the command that shows dir in goos's file manager:
// Explorer, the Finder (open) or the desktop's default (xdg-open).
func openFolderCommand(goos, dir string) *exec.Cmd {
	switch goos {
	case "windows":
		return exec.Command("explorer", dir)
	case "darwin":
		return exec.Command("open", dir)
	default:
		return exec.Command("xdg-open", dir)
	}
}
