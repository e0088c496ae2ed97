#!/usr/bin/env bash
# Starts (or stops) the AWS side of the demo on loopback: versitygw with a
# demo-data bucket of sample customer lists, the Cognito stand-in with a
# demo user whose identity-pool credentials are versitygw's keys, and the
# AWS Clean Rooms stand-in with a collaboration whose finished protected
# queries wrote Spark-style CSV and Parquet parts to a clean-rooms-results bucket. It writes
# DIR/aws.env (endpoint variables and a settings folder) for the app:
#   build/aws/demo-services.sh start build/bin/demo && source build/bin/demo/aws.env
#   build/aws/demo-services.sh stop build/bin/demo
set -euo pipefail
cmd=${1:-}
dir=${2:-build/bin/demo}
root=$(cd "$(dirname "$0")/../.." && pwd)
s3_port=${DEMO_S3_PORT:-7070}
cognito_port=${DEMO_COGNITO_PORT:-7071}
cleanrooms_port=${DEMO_CLEANROOMS_PORT:-7072}
access=DEMOACCESSKEY
secret=demo-secret-key-not-for-production
region=us-east-1
pool=us-east-1_Demo
client=demo-client
identity=us-east-1:00000000-0000-0000-0000-000000000000

stop() {
	for p in "$dir"/versitygw.pid "$dir"/cognito-standin.pid "$dir"/cleanrooms-standin.pid; do
		if [[ -f $p ]]; then
			kill "$(cat "$p")" 2>/dev/null || true
			rm -f "$p"
		fi
	done
}

wait_port() {
	for _ in $(seq 1 100); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
		sleep 0.1
	done
	echo "nothing listens on 127.0.0.1:$1; see $dir/*.log" >&2
	return 1
}

# clean_rooms writes the demo collaboration's results (a CSV query of 3
# parts and a Parquet query of 2, each with _SUCCESS and .crc files, as
# Spark writes them) and the stand-in's catalog of memberships and queries.
membership=7c1e4b2a-9d3f-4a6b-8e21-5f0c3d9a1b77
q_csv=0b6f8e21-3c4d-4f5a-9b7e-1a2c3d4e5f60
q_parquet=9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d
clean_rooms() {
	local out=$1/s3/clean-rooms-results/retail-media
	mkdir -p "$out/$q_csv" "$out/$q_parquet"
	for p in 0 1 2; do
		awk -v p="$p" 'BEGIN { print "customer_id,email,phone"; for (i = p * 1000 + 1; i <= (p + 1) * 1000; i++) printf "%d,Shopper%d@Example.com,+1 (212) 555-%04d\n", i, i, i % 10000 }' \
			>"$out/$q_csv/part-0000$p-4f1d2c3b-6a5e-4d7c-8b9a-0e1f2a3b4c5d-c000.csv"
		echo crc >"$out/$q_csv/.part-0000$p-4f1d2c3b-6a5e-4d7c-8b9a-0e1f2a3b4c5d-c000.csv.crc"
	done
	: >"$out/$q_csv/_SUCCESS"
	cp "$root/backend/records/testdata/binary/list_snappy.parquet" "$out/$q_parquet/part-00000-2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a-c000.snappy.parquet"
	cp "$root/backend/records/testdata/binary/list_zstd.parquet" "$out/$q_parquet/part-00001-2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a-c000.zstd.parquet"
	: >"$out/$q_parquet/_SUCCESS"
	local now
	now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	cat >"$1/cleanrooms.json" <<JSON
{"region": "$region", "account_id": "111122223333",
 "memberships": [
  {"id": "$membership", "collaboration_id": "c0ffee00-1111-4222-8333-444455556666", "collaboration_name": "Retail x Media (demo)",
   "creator_display_name": "Demo Retailer", "abilities": ["CAN_QUERY", "CAN_RECEIVE_RESULTS"], "created": "2026-10-01T09:00:00Z",
   "default_result": {"bucket": "clean-rooms-results", "key_prefix": "retail-media", "format": "CSV"}},
  {"id": "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a", "collaboration_id": "c0ffee00-7777-4888-9999-aaaabbbbcccc", "collaboration_name": "Measurement (no results for you)",
   "creator_display_name": "Demo Publisher", "abilities": ["CAN_QUERY"], "created": "2026-10-15T09:00:00Z"}
 ],
 "queries": [
  {"id": "e5f6a7b8-c9d0-4e1f-8a2b-3c4d5e6f7a8b", "membership_id": "$membership", "status": "STARTED", "created": "$now",
   "s3": {"bucket": "clean-rooms-results", "key_prefix": "retail-media", "format": "CSV"}},
  {"id": "$q_csv", "membership_id": "$membership", "status": "SUCCESS", "created": "2026-11-30T08:00:00Z", "duration_ms": 184000,
   "s3": {"bucket": "clean-rooms-results", "key_prefix": "retail-media", "format": "CSV"}, "location": "s3://clean-rooms-results/retail-media/$q_csv/"},
  {"id": "1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9", "membership_id": "$membership", "status": "FAILED", "created": "2026-11-29T08:00:00Z", "duration_ms": 12000,
   "s3": {"bucket": "clean-rooms-results", "key_prefix": "retail-media", "format": "CSV"},
   "error_code": "ANALYSIS_RULE_VIOLATION", "error_message": "Aggregation groups must have at least 100 distinct members."},
  {"id": "$q_parquet", "membership_id": "$membership", "status": "SUCCESS", "created": "2026-11-23T08:00:00Z", "duration_ms": 241000,
   "s3": {"bucket": "clean-rooms-results", "key_prefix": "retail-media", "format": "PARQUET"}, "location": "s3://clean-rooms-results/retail-media/$q_parquet/"}
 ]}
JSON
}

case $cmd in
start)
	stop
	mkdir -p "$dir/s3/demo-data/lists/2024" "$dir/config"
	dir=$(cd "$dir" && pwd)
	[[ -x $root/build/bin/versitygw ]] || make -C "$root" -s build/bin/versitygw
	(cd "$root" && go build -o build/bin/cognito-standin ./cmd/cognito-standin && go build -o build/bin/cleanrooms-standin ./cmd/cleanrooms-standin)
	# Sample lists: made-up people at example.com (RFC 2606) and 555 numbers.
	awk 'BEGIN { print "customer_id,email,phone,country"; for (i = 1; i <= 5000; i++) printf "%d,Customer%d@Example.com,(415) 555-%04d,US\n", i, i, i % 10000 }' >"$dir/s3/demo-data/lists/customers.csv"
	awk 'BEGIN { for (i = 1; i <= 2000; i++) printf "{\"id\":%d,\"email\":\"member%d@example.com\",\"idfa\":\"6D92078A-8246-4BA4-AE5B-76104861E7%02X\"}\n", i, i, i % 256 }' >"$dir/s3/demo-data/lists/2024/members.jsonl"
	clean_rooms "$dir"
	"$root/build/bin/versitygw" --port "127.0.0.1:$s3_port" --access "$access" --secret "$secret" --region "$region" --quiet \
		posix "$dir/s3" >"$dir/versitygw.log" 2>&1 &
	echo $! >"$dir/versitygw.pid"
	# Secrets go in the environment, never argv (ps shows argv to everyone).
	COGNITO_STANDIN_S3_SECRET_KEY=$secret DEMO_USER_PASSWORD='Demo-Pass-1!' \
		"$root/build/bin/cognito-standin" --addr "127.0.0.1:$cognito_port" --region "$region" --user-pool-id "$pool" \
		--client-id "$client" --identity-pool-id "$identity" --s3-access-key "$access" \
		--no-session-token --user 'username=demo,password-env=DEMO_USER_PASSWORD,email=demo@example.com' >"$dir/cognito-standin.log" 2>&1 &
	echo $! >"$dir/cognito-standin.pid"
	wait_port "$s3_port"
	"$root/build/bin/cleanrooms-standin" --addr "127.0.0.1:$cleanrooms_port" --catalog "$dir/cleanrooms.json" \
		--access-key "$access" >"$dir/cleanrooms-standin.log" 2>&1 &
	echo $! >"$dir/cleanrooms-standin.pid"
	wait_port "$cognito_port"
	wait_port "$cleanrooms_port"
	if [[ ! -f $dir/config/settings.json ]]; then
		cat >"$dir/config/settings.json" <<JSON
{"aws": {"credential_source": "cognito", "region": "$region", "user_pool_id": "$pool", "app_client_id": "$client",
 "identity_pool_id": "$identity", "bucket": "demo-data", "prefix": ""}}
JSON
	fi
	cat >"$dir/aws.env" <<ENV
export AWS_ENDPOINT_URL_S3=http://127.0.0.1:$s3_port
export AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER=http://127.0.0.1:$cognito_port
export AWS_ENDPOINT_URL_COGNITO_IDENTITY=http://127.0.0.1:$cognito_port
export AWS_ENDPOINT_URL_CLEANROOMS=http://127.0.0.1:$cleanrooms_port
export AUDIENCE_UPLOADER_CONFIG_DIR=$dir/config
ENV
	echo "S3 (versitygw) on 127.0.0.1:$s3_port, Cognito stand-in on 127.0.0.1:$cognito_port, AWS Clean Rooms stand-in on 127.0.0.1:$cleanrooms_port."
	echo "source $dir/aws.env, then sign in as demo@example.com with the password Demo-Pass-1!"
	;;
stop) stop ;;
*)
	echo "usage: $0 start|stop [DIR]" >&2
	exit 2
	;;
esac
