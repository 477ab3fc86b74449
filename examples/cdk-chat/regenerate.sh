#!/bin/sh
# Synthesise cdk.out from app.py with the real CDK toolchain: aws-cdk (the CLI, from npm) and
# aws-cdk-lib (from PyPI), each in a throwaway folder. sockgate and its tests only read the
# result; run this after changing app.py or lambda/, and commit cdk.out.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=${CDK_WORK:-$(mktemp -d)}
[ -x "$work/venv/bin/python" ] || python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet aws-cdk-lib constructs
[ -x "$work/node_modules/.bin/cdk" ] || (cd "$work" && npm install --silent aws-cdk@2)
cd "$here"
rm -rf cdk.out
PATH="$work/venv/bin:$PATH" "$work/node_modules/.bin/cdk" synth --quiet --output cdk.out
echo "wrote $here/cdk.out"
