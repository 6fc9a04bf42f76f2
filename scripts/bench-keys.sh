#!/usr/bin/env bash
# bench-keys.sh: the key-storage rows of "make bench" (docs/keys.md). Run
# from the repository root. Prints markdown rows
#   | what | figure | floor or peer | ratio | goal |
# Signing an enrollment's PKCS#10 and a key-based renewal's request (the
# new key signs the inner PKCS#10, the old key the CMS) with a key in a
# TPM, here swtpm (internal/tpmkey/swtpmtest starts one), beside the same
# with a software key. Each TPM signature connects to the TPM, derives
# the storage primary, loads the key blob and signs, as certdesk does.
# BENCHTIME overrides the iteration count.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(go test ./internal/tpmkey -run '^$' -bench 'CSR|CMS|Generate' -benchtime "${BENCHTIME:-20x}" -count 1)
# ns NAME: ns/op of benchmark NAME (its line "BenchmarkNAME-CPUS N X ns/op").
ns() { awk -v n="Benchmark$1-" 'index($1, n) == 1 { for (i = 2; i <= NF; i++) if ($i == "ns/op") print $(i-1) }' <<<"$out"; }
ms() { awk -v v="$1" 'BEGIN { printf "%.2f ms", v / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f×", a / b }'; }
for k in P256 RSA2048; do
	for op in CSR CMS; do
		what="PKCS#10 signature"
		[ "$op" = CMS ] && what="key-based renewal request (PKCS#10 + CMS)"
		tpm=$(ns "$op/tpm/$k"); sw=$(ns "$op/software/$k")
		[ -n "$tpm" ] && [ -n "$sw" ] || { echo "bench-keys: no $op/$k figures (is swtpm installed?)" >&2; exit 1; }
		echo "| $what, $k key in a TPM (swtpm) | $(ms "$tpm") | software key $(ms "$sw") | $(ratio "$tpm" "$sw") | < 50 ms |"
	done
	echo "| key generation, $k in a TPM (swtpm) | $(ms "$(ns "Generate/tpm/$k")") | — | — | — |"
done

# PKCS#11: a key on a SoftHSM2 token beside a software key
# (internal/pkcs11key/bench_test.go, median of 5 runs). CSR is one
# signature; CMS is a same-key renewal request, the inner PKCS#10 and the
# CMS signature. SoftHSM2 signs in software too: the difference is the
# PKCS#11 path (docs/keys.md, "Benchmarks").
# median NAME: the median ns/op of benchmark NAME over the runs in $out.
median() { ns "$1" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
if [ -e /usr/lib/softhsm/libsofthsm2.so ]; then
	out=$(go test ./internal/pkcs11key -run '^$' -bench '^BenchmarkSign$' -benchtime "${BENCHTIME:-50x}" -count 5)
	for k in P256 RSA2048; do
		for op in CSR CMS; do
			hsm=$(median "Sign/$op-$k-softhsm2"); sw=$(median "Sign/$op-$k-software")
			echo "| $op signing, $k key on a SoftHSM2 token (PKCS#11) | $(ms "$hsm") | software key $(ms "$sw") | $(ratio "$hsm" "$sw") | ≤ software + 1 ms |"
		done
	done
else
	echo "| PKCS#11 signing (SoftHSM2 is not installed) | — | — | — | — |"
fi
