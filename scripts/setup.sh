#!/usr/bin/env bash
# Prepares a Debian 12 machine with Node 20 for the demo and the tests: Debian packages (when missing),
# a PostgreSQL cluster on 127.0.0.1 for the dialect tests, and the npm dependencies. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(ffmpeg chromium fonts-noto-cjk fonts-dejavu-core postgresql nginx
  python3-gi python3-gst-1.0 gir1.2-gst-rtsp-server-1.0 gstreamer1.0-rtsp
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly)
missing=()
for package in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages: ${missing[*]}" >&2
    echo "setup: run this script as root (sudo bash scripts/setup.sh) to install them" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# PostgreSQL for the tests that run on both dialects. Needs root; without it those suites are skipped.
if [ "$(id -u)" -eq 0 ] && command -v pg_lsclusters >/dev/null; then
  pg_version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
  if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -q "^${pg_version} main$"; then
    pg_createcluster "$pg_version" main -- --auth-local=peer --auth-host=scram-sha-256 >/dev/null
  fi
  pg_port=$(pg_lsclusters -h | awk -v v="$pg_version" '$1==v && $2=="main" {print $3}')
  pg_ctlcluster "$pg_version" main start 2>/dev/null || true
  for _ in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 -p "$pg_port" && break
    sleep 1
  done
  su postgres -c "psql -q -p $pg_port" <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tonglu_test') THEN
    CREATE ROLE tonglu_test LOGIN CREATEDB PASSWORD 'tonglu_test';
  END IF;
END $$;
SQL
  echo "TONGLU_TEST_DATABASE_URL=postgres://tonglu_test:tonglu_test@127.0.0.1:${pg_port}/postgres" > .tonglu-test.env
  echo "setup: PostgreSQL ${pg_version} is running on 127.0.0.1:${pg_port}"
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
echo "setup: done"
