#!/usr/bin/env bash
# Runs the fuzz target of every fetcher's parser for a while each, seeded
# with the real responses in ../shared/fixtures. For CI (a few seconds
# each) and for longer hunts:
#
#   bash internal/upstream/fuzz.sh              # 5 s each
#   FUZZTIME=10m bash internal/upstream/fuzz.sh
#
# A failure leaves its input under the package's testdata/fuzz/; commit it
# with the fix, and `go test` replays it from then on.
set -euo pipefail
cd "$(dirname "$0")/../.."
fuzztime=${FUZZTIME:-5s}
while read -r target pkg; do
  echo "== $target $pkg ($fuzztime)"
  # Minimizing a new input is capped: with the default (60 s) a short run
  # can spend its whole time minimizing a large fixture.
  go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" -fuzzminimizetime=10x "$pkg"
done <<'TARGETS'
FuzzParseChart ./backfill/yahoo
FuzzParseCSV ./backfill/stooq
FuzzParseDaily ./backfill/alphavantage
FuzzParseCSV ./backfill/csvdir
TARGETS
