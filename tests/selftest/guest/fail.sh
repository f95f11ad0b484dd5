#!/bin/bash
# Must FAIL (exit 1): a script failing is a failed run.
echo "selftest: failing on purpose"
exit 1
