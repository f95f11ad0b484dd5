#!/bin/bash
# Must PASS: a clean script exiting 0.
set -eu
echo "selftest: pass (uid $(id -u), cwd $PWD)"
