#!/usr/bin/env bash
# `make demo`: the whole flow with no account anywhere. Starts versitygw with
# sample lists, the Cognito stand-in with a demo user and the AWS Clean Rooms
# stand-in with a finished query's result (build/aws/demo-services.sh),
# the TikTok stand-in with a demo token and advertiser, then the desktop app
# configured against them (AWS_ENDPOINT_URL_*, TIKTOK_API_BASE_URL,
# TIKTOK_ACCESS_TOKEN, settings in a temporary folder). Closing the app stops
# the services and removes the folder.
#   mk/demo.sh [APP_BINARY]     (default build/bin/audience-uploader)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
app=${1:-$root/build/bin/audience-uploader}
advertiser=7000000000000000001
token=demo-tiktok-token
dir=$(mktemp -d "${TMPDIR:-/tmp}/audience-uploader-demo.XXXXXX")
tiktok_pid=

cleanup() {
	[[ -n $tiktok_pid ]] && kill "$tiktok_pid" 2>/dev/null || true
	"$root/build/aws/demo-services.sh" stop "$dir" || true
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$dir/config" "$dir/out"
(cd "$root" && go build -o build/bin/tiktok-standin ./cmd/tiktok-standin)
# The token goes in the environment, never argv (ps shows argv to everyone).
TIKTOK_STANDIN_TOKEN=$token "$root/build/bin/tiktok-standin" --advertiser "$advertiser" --delay 3s >"$dir/tiktok-standin.out" 2>"$dir/tiktok-standin.log" &
tiktok_pid=$!
for _ in $(seq 1 100); do
	[[ -s $dir/tiktok-standin.out ]] && break
	sleep 0.1
done
base=$(head -1 "$dir/tiktok-standin.out")
[[ $base == http* ]] || { echo "the TikTok stand-in did not start; see $dir/tiktok-standin.log" >&2; exit 1; }
export TIKTOK_API_BASE_URL=$base TIKTOK_ACCESS_TOKEN=$token

# Settings first: demo-services.sh keeps an existing settings.json.
cat >"$dir/config/settings.json" <<JSON
{"default_region": "US", "phone_format": "digits", "output_dir": "$dir/out", "max_file_mb": 50, "workers": 0,
 "tiktok": {"environment": "custom", "base_url": "$base", "advertiser_id": "$advertiser"},
 "aws": {"credential_source": "cognito", "region": "us-east-1", "user_pool_id": "us-east-1_Demo", "app_client_id": "demo-client",
  "identity_pool_id": "us-east-1:00000000-0000-0000-0000-000000000000", "bucket": "demo-data", "prefix": ""}}
JSON
"$root/build/aws/demo-services.sh" start "$dir"
# shellcheck disable=SC1091
source "$dir/aws.env"
export AUDIENCE_UPLOADER_DATA_DIR=$dir/data

echo "TikTok stand-in on $base (advertiser $advertiser)."
echo "Sign in as demo@example.com with the password Demo-Pass-1!, pick lists/customers.csv in the S3 tab."
echo "AWS Clean Rooms: the collaboration \"Retail x Media (demo)\" has finished queries; from a terminal with $dir/aws.env sourced,"
echo "  audience-uploader cleanrooms ls   and   --input cleanrooms://7c1e4b2a-9d3f-4a6b-8e21-5f0c3d9a1b77/latest"
"$app"
