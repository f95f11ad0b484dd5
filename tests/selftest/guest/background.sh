#!/bin/bash
# Must PASS promptly: a background process keeping stdout open must not hold up the run.
set -eu
sleep infinity &
python3 -c 'import sys; print("selftest: python", sys.version.split()[0])'
echo "selftest: leaving a background process behind"
