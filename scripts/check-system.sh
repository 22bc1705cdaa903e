#!/bin/sh
# The system packages `make` needs before it creates .venv (README, "Set-up, run, test").
#
#   scripts/check-system.sh PYTHON           what `make report` needs: a Python 3.11+ that can make a venv,
#                                            and the libraries and fonts WeasyPrint renders the PDF with
#   scripts/check-system.sh PYTHON --test    and what the tests need besides: Chromium, poppler-utils, libatomic1
#
# Prints nothing and exits 0 when everything is there; otherwise prints one message naming the apt-get line
# that installs what is missing, and exits 1. Packages are looked up with dpkg-query, so on a system
# without dpkg (not Debian or Ubuntu) only Python is checked.
set -u

python=${1:-python3}
purpose=${2:-}
missing=""
advice=""

installed() {
    command -v dpkg-query >/dev/null 2>&1 || return 0
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

if ! command -v "$python" >/dev/null 2>&1; then
    missing="python3 python3-venv"
elif ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    advice="$python is older than Python 3.11, which this project needs: run make again with PYTHON=<a python3.11 or later>."
elif ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
    missing="python3-venv"  # Debian and Ubuntu ship venv's pip bootstrap separately
fi

for package in libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core; do
    installed "$package" || missing="$missing $package"
done

if [ "$purpose" = --test ]; then
    # the tests look for the commands; Ubuntu's Chromium is the chromium-browser command
    command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || missing="$missing chromium"
    command -v pdftoppm >/dev/null 2>&1 || missing="$missing poppler-utils"
    # Playwright's bundled node driver links libatomic.so.1, which a minimal Debian does not have: without
    # it the browser tests fail with "Connection closed while reading from the driver"
    installed libatomic1 || missing="$missing libatomic1"
fi

missing=${missing# }
[ -z "$missing" ] && [ -z "$advice" ] && exit 0

{
    echo "The system is missing what this project needs; nothing was installed."
    if [ -n "$missing" ]; then
        sudo="sudo "
        [ "$(id -u 2>/dev/null)" = 0 ] && sudo=""
        echo "Install it with this line, then run the same make command again:"
        echo "    ${sudo}apt-get update && ${sudo}apt-get install -y $missing"
    fi
    [ -n "$advice" ] && echo "$advice"
} >&2
exit 1
