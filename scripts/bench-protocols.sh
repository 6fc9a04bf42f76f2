#!/usr/bin/env bash
# bench-protocols.sh — one enrollment per protocol (SCEP, EST) against testca, with the
# client's own share, as markdown rows
#   | what | figure | floor or peer | ratio | goal |
# (the CEP/CES rows are scripts/bench-enroll.sh's). Run from the repository
# root. BENCHTIME overrides the iteration count.
set -euo pipefail
out=$(go test ./enroll/scep -run '^$' -bench 'EnrollSCEP' -benchtime "${BENCHTIME:-20x}" -count 1)
# metric NAME UNIT: the value preceding UNIT on the benchmark's line.
metric() { awk -v n="Benchmark$1-" -v u="$2" 'index($1, n) == 1 { for (i = 2; i <= NF; i++) if ($i == u) print $(i-1) }' <<<"$out"; }
ms() { awk -v v="$1" 'BEGIN { printf "%.2f ms", v / 1e6 }'; }

total=$(metric EnrollSCEP ns/op)
echo "| SCEP enrollment RSA 2048, testca NDES over HTTPS loopback (GetCACaps, GetCACert, PKCSReq; key gen excluded) | $(ms "$total") | client's own work $(ms "$(metric EnrollSCEP client-ns/op)") | $(metric EnrollSCEP client-%)% | < 5% |"
echo "| SCEP enrollment RSA 2048 incl. key generation ($(ms "$(metric EnrollSCEP keygen-ns/op)")) | $(ms "$(awk -v a="$total" -v k="$(metric EnrollSCEP keygen-ns/op)" 'BEGIN{print a+k}')") | client's own work $(ms "$(metric EnrollSCEP client-ns/op)") | $(metric EnrollSCEP client-%-full)% | < 5% |"

out=$(go test ./enroll/est -run '^$' -bench '^BenchmarkESTEnrollP256$' -benchtime "${BENCHTIME:-20x}" -count 1)
echo "| EST enrollment P256, testca over HTTPS loopback (/simpleenroll with basic auth; key gen excluded) | $(ms "$(metric ESTEnrollP256 ns/op)") | client's own work $(ms "$(metric ESTEnrollP256 client-ns/op)") | $(metric ESTEnrollP256 client-%)% | < 5% |"
