# Shared set-up for the scripts: sourced, not run.
# Installs (on Debian, as root or with sudo) what MINO needs and is missing, and starts
# PostgreSQL when asked to.

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/mino-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

step() { printf '\n==> %s\n' "$*" >&2; }

# apt_install PACKAGE… : installs the packages that are missing.
apt_install() {
    (($#)) || return 0
    step "installing $*"
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || { echo "missing $*; install them first" >&2; exit 1; }
        sudo=sudo
    fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

# need_browser: Chromium and chromedriver.
need_browser() {
    local packages=()
    command -v chromium >/dev/null 2>&1 || packages+=(chromium)
    command -v chromedriver >/dev/null 2>&1 || packages+=(chromium-driver)
    apt_install "${packages[@]}"
}

# need_postgres: a running PostgreSQL on 127.0.0.1:5432 with the database `test`.
need_postgres() {
    ls /etc/postgresql/*/main >/dev/null 2>&1 || apt_install postgresql postgresql-contrib
    if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
        step "starting PostgreSQL"
        local version
        version=$(ls /etc/postgresql | sort -V | tail -n 1)
        pg_ctlcluster --skip-systemctl-redirect "$version" main start
        for _ in $(seq 1 60); do
            pg_isready -q -h 127.0.0.1 -p 5432 && break
            sleep 0.5
        done
        pg_isready -h 127.0.0.1 -p 5432 >/dev/null
    fi
    # A fresh server has neither the password nor the database the tests use; the peer-
    # authenticated superuser sets both. On a server with trust auth this changes nothing.
    if [ "$(id -u)" -eq 0 ] && id postgres >/dev/null 2>&1; then
        runuser -u postgres -- psql -q -c "ALTER USER postgres PASSWORD 'postgres'" >/dev/null
        if ! runuser -u postgres -- psql -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'" | grep -q 1; then
            runuser -u postgres -- createdb test
        fi
        runuser -u postgres -- psql -q -d test -c "CREATE EXTENSION IF NOT EXISTS pg_trgm" >/dev/null
        # Schemas left behind by an interrupted earlier run.
        runuser -u postgres -- psql -q -d test -tAc \
            "SELECT 'DROP SCHEMA \"' || nspname || '\" CASCADE;' FROM pg_namespace WHERE nspname LIKE 'mino_test_%' OR nspname LIKE 'mino_bench_%'" \
            | runuser -u postgres -- psql -q -d test >/dev/null
    fi
}

# need_python: a virtualenv with the real clients that read exports back (openpyxl) and the
# tools of the Python bindings (maturin, pytest, mypy), with the `mino` module built from
# mino-py and installed in it. Exported as MINO_PYTHON for the tests. A rerun rebuilds only
# what changed (cargo decides) and reinstalls the module in place.
need_python() {
    command -v python3 >/dev/null 2>&1 || apt_install python3 python3-venv
    local venv="${MINO_VENV:-/var/tmp/mino-venv}"
    if ! "$venv/bin/python3" -c "import openpyxl, pytest, mypy, maturin" >/dev/null 2>&1; then
        step "preparing $venv (openpyxl, maturin, pytest, mypy)"
        [ -x "$venv/bin/python3" ] || python3 -m venv "$venv" 2>/dev/null \
            || { apt_install python3-venv; python3 -m venv "$venv"; }
        "$venv/bin/pip" install -q --disable-pip-version-check openpyxl "maturin>=1.9,<2" pytest mypy
    fi
    export MINO_PYTHON="$venv/bin/python3"
    # The interpreter PyO3 builds against, the same for cargo and maturin so that neither
    # invalidates the other's build.
    export PYO3_PYTHON="$venv/bin/python3"
    step "building the Python module (maturin develop)"
    (cd mino-py && VIRTUAL_ENV="$venv" PATH="$venv/bin:$PATH" maturin develop -q)
}

# need_rust: cargo on PATH.
need_rust() {
    command -v cargo >/dev/null 2>&1 || { echo "cargo is missing: install Rust (https://rustup.rs) first" >&2; exit 1; }
}
