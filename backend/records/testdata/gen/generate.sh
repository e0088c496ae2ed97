#!/usr/bin/env bash
# Regenerates backend/records/testdata/binary from independent writers: DuckDB (npm @duckdb/node-api,
# installed in a throw-away folder) for Parquet, and Debian's python3-openpyxl for Excel.
# The generated files are committed, so `make test` needs neither.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(cd "$here/../binary" && pwd)
work=$(mktemp -d /tmp/records-fixtures.XXXXXX)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm init -y >/dev/null && npm install --save-exact --no-audit --no-fund @duckdb/node-api@1.5.6-r.1 >/dev/null)
cp "$here/parquet.mjs" "$work/"
(cd "$work" && node parquet.mjs "$out")
if ! /usr/bin/python3 -c 'import openpyxl' 2>/dev/null; then
	echo "python3-openpyxl is missing: apt-get install -y python3-openpyxl" >&2
	exit 1
fi
/usr/bin/python3 "$here/xlsx.py" "$out"
# zstd and bzip2 by their reference command-line tools, each file two concatenated frames/streams (as
# `cat part1.zst part2.zst` or pbzip2 make), the header in the first.
/usr/bin/python3 "$here/csv.py" "$work/a.csv" "$work/b.csv"
for tool in zstd bzip2; do
	ext=$([ $tool = zstd ] && echo zst || echo bz2)
	"$tool" -q -c "$work/a.csv" >"$out/list.csv.$ext"
	"$tool" -q -c "$work/b.csv" >>"$out/list.csv.$ext"
done
# A TikTok-template .txt whose first line is not an identifier, compressed by each tool: the .txt rule
# (one identifier per line, no header) must see through .txt.zst and .txt.bz2.
printf 'john.smith at example.com\nbob@example.com\n' >"$work/template.txt"
zstd -q -c "$work/template.txt" >"$out/template.txt.zst"
bzip2 -q -c "$work/template.txt" >"$out/template.txt.bz2"
ls -l "$out"
