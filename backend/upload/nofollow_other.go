//go:build !unix

package upload

// noFollow: Windows has no O_NOFOLLOW; ReadManifest's Lstat and resolved
// path checks stand.
const noFollow = 0
