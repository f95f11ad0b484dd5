#!/bin/bash
# Must FAIL by timeout: a script that never ends must not hang the runner.
echo "selftest: hanging on purpose"
sleep infinity
