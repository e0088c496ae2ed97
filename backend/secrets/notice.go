package secrets

import (
	"runtime"
	"strings"
)

// UnavailableNotice is what the sign-in screen says when Probe fails: what is
// missing on this OS and how to get it, in plain words. The library's error
// (D-Bus object paths, Win32 codes) belongs in the log, never in this text.
func UnavailableNotice(probeErr error) string {
	return unavailableNotice(runtime.GOOS, probeErr)
}

const memoryOnly = " Until then your sign-in is kept in memory only, so you sign in each time the app starts."

func unavailableNotice(goos string, probeErr error) string {
	switch goos {
	case "darwin":
		return "The macOS Keychain could not be opened. Unlock your login keychain in Keychain Access (Applications › Utilities) and allow Audience Uploader to use it, then restart the app." + memoryOnly
	case "windows":
		return "Windows Credential Manager could not be used. Sign in to Windows with your own user account (Credential Manager is part of every Windows account) and restart the app." + memoryOnly
	}
	// Linux and the BSDs: go-keyring talks to a Secret Service over D-Bus.
	if locked(probeErr) {
		return "Your keyring is locked or has no default keyring, so the app cannot keep your sign-in. Unlock GNOME Keyring or KWallet (logging in to the desktop usually does; otherwise open Passwords and Keys or KWalletManager and unlock or create the default keyring), then restart the app." + memoryOnly
	}
	return "No keyring is running, so the app cannot keep your sign-in. Install and unlock GNOME Keyring or KWallet (a Secret Service; on Debian or Ubuntu: sudo apt install gnome-keyring), log out and back in, then restart the app." + memoryOnly
}

// locked tells a Secret Service that answered but would not open its default
// collection (no unlock prompt was possible) from one that is not there at
// all. The texts are what the Secret Service and go-keyring's D-Bus client say.
func locked(err error) bool {
	if err == nil {
		return false
	}
	msg := strings.ToLower(err.Error())
	return strings.Contains(msg, "unlock") || strings.Contains(msg, "locked") || strings.Contains(msg, "dismissed")
}
