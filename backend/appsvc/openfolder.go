package appsvc

import (
	"os/exec"
	"runtime"
)

// openFolderOS asks the OS file manager to show dir.
func openFolderOS(dir string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "windows":
		cmd = exec.Command("explorer", dir)
	case "darwin":
		cmd = exec.Command("open", dir)
	default:
		cmd = exec.Command("xdg-open", dir)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	// Reap the launcher without blocking the caller; explorer exits non-zero even on success.
	go cmd.Wait()
	return nil
}
