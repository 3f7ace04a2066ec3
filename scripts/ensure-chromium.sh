#!/usr/bin/env bash
# The browser test drives Debian's Chromium with Playwright (Playwright's own browser download does not
# work here). Install it with apt-get when it is missing and we can; otherwise say so (the test then skips
# and says why).
set -uo pipefail
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then
    exit 0
fi
if command -v apt-get >/dev/null 2>&1; then
    SUDO=""
    if [ "$(id -u)" != "0" ]; then
        if sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
            echo "chromium is missing and apt-get needs root: the browser test will be skipped" >&2; exit 0; fi
    fi
    echo "installing Debian's chromium for the browser test (apt-get)..." >&2
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq >/dev/null 2>&1 || true
    if $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1; then
        echo "chromium installed: $(chromium --version 2>/dev/null)" >&2
    else
        echo "could not install chromium with apt-get: the browser test will be skipped" >&2
    fi
else
    echo "chromium is missing and there is no apt-get: the browser test will be skipped" >&2
fi
exit 0
