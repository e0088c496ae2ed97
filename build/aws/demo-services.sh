#!/usr/bin/env bash
# Starts (or stops) the AWS side of the demo on loopback: versitygw with a
# demo-data bucket of sample customer lists, and the Cognito stand-in with a
# demo user whose identity-pool credentials are versitygw's keys. It writes
# DIR/aws.env (endpoint variables and a settings folder) for the app:
#   build/aws/demo-services.sh start build/bin/demo && source build/bin/demo/aws.env
#   build/aws/demo-services.sh stop build/bin/demo
set -euo pipefail
cmd=${1:-}
dir=${2:-build/bin/demo}
root=$(cd "$(dirname "$0")/../.." && pwd)
s3_port=${DEMO_S3_PORT:-7070}
cognito_port=${DEMO_COGNITO_PORT:-7071}
access=DEMOACCESSKEY
secret=demo-secret-key-not-for-production
region=us-east-1
pool=us-east-1_Demo
client=demo-client
identity=us-east-1:00000000-0000-0000-0000-000000000000

stop() {
	for p in "$dir"/versitygw.pid "$dir"/cognito-standin.pid; do
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

case $cmd in
start)
	stop
	mkdir -p "$dir/s3/demo-data/lists/2024" "$dir/config"
	dir=$(cd "$dir" && pwd)
	[[ -x $root/build/bin/versitygw ]] || make -C "$root" -s build/bin/versitygw
	(cd "$root" && go build -o build/bin/cognito-standin ./cmd/cognito-standin)
	# Sample lists: made-up people at example.com (RFC 2606) and 555 numbers.
	awk 'BEGIN { print "customer_id,email,phone,country"; for (i = 1; i <= 5000; i++) printf "%d,Customer%d@Example.com,(415) 555-%04d,US\n", i, i, i % 10000 }' >"$dir/s3/demo-data/lists/customers.csv"
	awk 'BEGIN { for (i = 1; i <= 2000; i++) printf "{\"id\":%d,\"email\":\"member%d@example.com\",\"idfa\":\"6D92078A-8246-4BA4-AE5B-76104861E7%02X\"}\n", i, i, i % 256 }' >"$dir/s3/demo-data/lists/2024/members.jsonl"
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
	wait_port "$cognito_port"
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
export AUDIENCE_UPLOADER_CONFIG_DIR=$dir/config
ENV
	echo "S3 (versitygw) on 127.0.0.1:$s3_port, Cognito stand-in on 127.0.0.1:$cognito_port."
	echo "source $dir/aws.env, then sign in as demo@example.com with the password Demo-Pass-1!"
	;;
stop) stop ;;
*)
	echo "usage: $0 start|stop [DIR]" >&2
	exit 2
	;;
esac
