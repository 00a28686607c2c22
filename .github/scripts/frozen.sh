#!/usr/bin/env bash
# Usage: frozen.sh STACK
# Exit 0 when deploys to STACK are frozen, 1 when they are not.
# DEPLOY_FREEZE (a repository variable) lists frozen stacks, or "all", separated by spaces or
# commas. A rollback freezes its stack first (rollback.yml refuses otherwise), so the next push
# to main cannot re-apply the change that was rolled back (docs/runbook.md, "Rollback").
set -euo pipefail
# A "*" in the variable must not expand to file names.
set -f

stack="${1:?usage: frozen.sh STACK}"
for entry in $(tr ',\t\n' '   ' <<<"${DEPLOY_FREEZE:-}"); do
  if [[ "$entry" == "$stack" || "$entry" == "all" ]]; then
    exit 0
  fi
done
exit 1
