#!/usr/bin/env bash
# Sets up a local PostgreSQL for getpaid's tests and prints its DSN on stdout
# (everything else goes to stderr), so that
#
#	export GETPAID_TEST_POSTGRES_DSN=$(scripts/postgres.sh)
#
# runs the PostgreSQL tests. Idempotent: run it as often as you like.
#
# It installs PostgreSQL with apt-get if it is missing, starts the cluster if
# it is stopped, waits until it accepts connections, and creates (once) a
# role and a database for the tests. It runs as root (or as a user who may
# sudo to postgres): the role is made over the local socket with peer
# authentication as the postgres user; tests connect with a password over
# 127.0.0.1.
#
# "scripts/postgres.sh restart" restarts the cluster instead (fast shutdown,
# then start), for the test of getpaid riding through a database restart.
#
# Environment (all optional):
#	GETPAID_PG_ROLE      role to create      (default getpaid)
#	GETPAID_PG_PASSWORD  its password        (default getpaid)
#	GETPAID_PG_DB        database to create  (default getpaid_test)
#	GETPAID_PG_PORT      the port to wait on and put in the DSN (default: the main
#	                     cluster's own, from pg_lsclusters; it does not move the cluster)
set -euo pipefail

role=${GETPAID_PG_ROLE:-getpaid}
password=${GETPAID_PG_PASSWORD:-getpaid}
db=${GETPAID_PG_DB:-getpaid_test}

log() { echo "postgres.sh: $*" >&2; }

as_postgres() {
	if [ "$(id -un)" = postgres ]; then
		"$@"
	elif [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		sudo -u postgres -- "$@"
	fi
}

# 1. Install.
if ! command -v pg_lsclusters >/dev/null 2>&1 || [ -z "$(ls /usr/lib/postgresql 2>/dev/null)" ]; then
	log "installing PostgreSQL"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update >&2
	apt-get install -y postgresql >&2
fi

# 2. The cluster: the newest installed version's "main", created if missing.
version=$(ls /usr/lib/postgresql | sort -V | tail -n1)
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" { found = 1 } END { exit !found }'; then
	log "creating cluster $version/main"
	pg_createcluster "$version" main >&2
fi
port=$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" { print $3 }')
port=${GETPAID_PG_PORT:-$port}

# pg_ctlcluster start fails when the cluster already runs: start it only
# when it is down.
status=$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" { print $4 }')
if [ "${1:-}" = restart ] && [ "$status" = online ]; then
	log "restarting cluster $version/main"
	pg_ctlcluster --skip-systemctl-redirect "$version" main restart -m fast >&2
elif [ "$status" != online ]; then
	log "starting cluster $version/main on port $port"
	pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2
fi

# 3. Wait until it accepts connections (up to 30 s).
for _ in $(seq 1 60); do
	if pg_isready -q -h 127.0.0.1 -p "$port"; then
		break
	fi
	sleep 0.5
done
if ! pg_isready -q -h 127.0.0.1 -p "$port"; then
	log "PostgreSQL $version did not become ready on port $port"
	exit 1
fi

# 4. The role and the database, once. The role may create schemas in its
# database (each test works in a schema of its own) and create databases
# (the migration tests make empty ones).
# Names and the password go in as psql variables (:"name" and :'literal'
# quote them), read from stdin, where psql interpolates them: a quote in
# the password breaks nothing.
psql_admin() { as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$port" -d postgres -v role="$role" -v pw="$password" -v db="$db" "$@"; }
if [ "$(echo "SELECT 1 FROM pg_roles WHERE rolname = :'role'" | psql_admin -tA)" != 1 ]; then
	log "creating role $role"
	echo "CREATE ROLE :\"role\" LOGIN CREATEDB PASSWORD :'pw'" | psql_admin >&2
else
	# Set again, so that the DSN printed below works.
	echo "ALTER ROLE :\"role\" LOGIN CREATEDB PASSWORD :'pw'" | psql_admin >&2
fi
if [ "$(echo "SELECT 1 FROM pg_database WHERE datname = :'db'" | psql_admin -tA)" != 1 ]; then
	log "creating database $db"
	echo "CREATE DATABASE :\"db\" OWNER :\"role\"" | psql_admin >&2
fi

# urlencode writes $1 percent-encoded but for the characters a URL's user
# part may hold as they are (byte by byte: UTF-8 is encoded too).
urlencode() {
	local LC_ALL=C s=$1 out='' c i
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		case $c in
		[a-zA-Z0-9._~-]) out+=$c ;;
		*) printf -v c '%%%02X' "'$c"; out+=$c ;;
		esac
	done
	printf '%s' "$out"
}

# 5. Check that the password works over TCP, then print the DSN (the role
# and password percent-encoded: an @ / % or blank in them would end or
# break the URL).
dsn="postgres://$(urlencode "$role"):$(urlencode "$password")@127.0.0.1:$port/$(urlencode "$db")?sslmode=disable"
if ! PGPASSWORD=$password psql -X -q -h 127.0.0.1 -p "$port" -U "$role" -d "$db" -tAc "SELECT 1" >/dev/null; then
	log "cannot log in as $role on 127.0.0.1:$port (check pg_hba.conf allows password auth on 127.0.0.1)"
	exit 1
fi
echo "$dsn"
