#!/usr/bin/env bash
# Fail if nbdev_clean or nbdev_export would change anything: notebooks must be committed clean and the
# library must be exactly what the notebooks export. Works on a dirty tree too (compares content, not git state).
set -euo pipefail
bin=${VENV:-.venv}/bin
snap() { find nbs zerodte README.md -type f \( -name '*.ipynb' -o -name '*.py' -o -name 'README.md' \) -not -path '*/__pycache__/*' -not -path '*/.ipynb_checkpoints/*' 2>/dev/null | sort | xargs md5sum; }
before=$(snap)
"$bin/nbdev_clean" >/dev/null
after_clean=$(snap)
if [ "$before" != "$after_clean" ]; then
  echo "notebooks are not clean: nbdev_clean changed:" >&2
  diff <(echo "$before") <(echo "$after_clean") | grep '^>' | awk '{print "  " $3}' >&2
  echo "fix: run '$bin/nbdev_clean' and commit the result" >&2
  exit 1
fi
"$bin/nbdev_export"
"$bin/python" tools/readme.py
after_export=$(snap)
if [ "$after_clean" != "$after_export" ]; then
  echo "library out of sync with notebooks: nbdev_export changed:" >&2
  diff <(echo "$after_clean") <(echo "$after_export") | grep '^[<>]' | awk '{print "  " $3}' | sort -u >&2
  echo "fix: run 'make export' and commit zerodte/ and README.md" >&2
  exit 1
fi
echo "notebooks clean, library in sync"
