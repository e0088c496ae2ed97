#!/usr/bin/env bash
# Runs a wails command ("$@"), dropping the lines its binding generator prints
# once per struct field ("KnownStructs: ..." and "Not found: time.Time"; Wails
# v2.15 typescriptify debug output). Standard output and the exit status are
# untouched; every other standard-error line still reaches standard error.
set -o pipefail
{ "$@" 2>&1 1>&3 3>&- | { grep -v -e 'KnownStructs:' -e 'Not found: time\.Time' >&2; [ $? -le 1 ]; }; } 3>&1
