#!/usr/bin/env bash
# screenshots.sh: the web page's views as PNG into docs/ (shown in the README), taken by the
# browser test (test/ui/browser_test.py) while it drives three real daemons under load:
# ui-graph.png, ui-operator.png, ui-cluster.png (node3 killed), ui-requests.png,
# ui-operations.png (a broken graph submitted).
#
#   bash scripts/screenshots.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
/usr/bin/python3 test/ui/browser_test.py --hogard build/tools/hogard --hogar build/tools/hogar \
  --models build/models --source . --screenshots docs
ls -l docs/ui-*.png
