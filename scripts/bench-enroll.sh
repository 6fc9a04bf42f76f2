#!/usr/bin/env bash
# bench-enroll.sh — run the enroll benchmarks and print markdown rows
#   | what | figure | floor or peer | ratio | goal |
# Run from the repository root. BENCHTIME overrides the iteration count.
# The enrollment rows are medians per enrollment (the shared machine's load
# moves means).
set -euo pipefail
out=$(go test ./enroll -run '^$' -bench 'ParsePolicies50|Tokenize50|ParseResponse|EnrollP256|EnrollRSA2048' \
	-benchtime "${BENCHTIME:-20x}" -count 1)
# metric NAME UNIT: the value preceding UNIT on the benchmark's line.
metric() { awk -v n="Benchmark$1-" -v u="$2" 'index($1, n) == 1 { for (i = 2; i <= NF; i++) if ($i == u) print $(i-1) }' <<<"$out"; }
ms() { awk -v v="$1" 'BEGIN { printf "%.2f ms", v / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f×", a / b }'; }

parse=$(metric ParsePolicies50 ns/op); tok=$(metric Tokenize50 ns/op)
echo "| parse GetPolicies, 50 templates | $(ms "$parse") | $(ms "$tok") (encoding/xml tokens only) | $(ratio "$parse" "$tok") | ≤ 3× |"
echo "| parse issued RSTRC + 3-cert CMC chain | $(ms "$(metric ParseResponse ns/op)") | — | — | — |"
for k in P256 RSA2048; do
	total=$(metric "Enroll$k" median-ns/op)
	echo "| enrollment $k, testca over HTTPS loopback (key gen excluded) | $(ms "$total") | client's own work $(ms "$(metric "Enroll$k" client-ns/op)") | $(metric "Enroll$k" client-%)% | < 5% |"
	sign=$(metric "Enroll$k" sign-ns/op)
	echo "| enrollment $k, client work without the CSR signature ($(ms "$sign"): the key signing and crypto/x509 checking the signature, a floor like key generation) | $(ms "$(awk -v a="$(metric "Enroll$k" client-ns/op)" -v s="$sign" 'BEGIN{print a-s}')") | — | $(metric "Enroll$k" proto-%)% | < 5% |"
	echo "| enrollment $k incl. key generation ($(ms "$(metric "Enroll$k" keygen-ns/op)")) | $(ms "$(awk -v a="$total" -v k="$(metric "Enroll$k" keygen-ns/op)" 'BEGIN{print a+k}')") | client's own work $(ms "$(metric "Enroll$k" client-ns/op)") | $(metric "Enroll$k" client-%-full)% | < 5% |"
done
# The whole enrollment through the core (app): keyring, policy cache, key,
# request, install into the store with its fsyncs, history.
core=$(go test ./app -run '^$' -bench 'CoreEnrollP256' -benchtime "${BENCHTIME:-20x}" -count 1)
cmetric() { awk -v n="Benchmark$1-" -v u="$2" 'index($1, n) == 1 { for (i = 2; i <= NF; i++) if ($i == u) print $(i-1) }' <<<"$core"; }
p256=$(metric EnrollP256 median-ns/op)
for b in CoreEnrollP256 CoreEnrollP256FetchPolicy; do
	what="enrollment P256 through the core (keyring, store install, history), policy cached"
	[ "$b" = CoreEnrollP256FetchPolicy ] && what="enrollment P256 through the core, policy fetched too"
	echo "| $what | $(ms "$(cmetric $b median-ns/op)") | protocol exchange alone $(ms "$p256") | $(ratio "$(cmetric $b median-ns/op)" "$p256") | — |"
	echo "| TLS handshakes per enrollment ($what) | $(cmetric $b handshakes/op) | process CPU $(ms "$(cmetric $b cpu-ns/op)") | — | ≤ 1 |"
done
