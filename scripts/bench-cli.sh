#!/usr/bin/env bash
# Times the cht-gen CLI end to end on synthetic environment sets, and
# `helm template` of Medic's cht-chart-4x for the same Kubernetes
# environments (one values file each, what hosts do today), with
# /usr/bin/time -v. Prints a Markdown table. Used by `make bench`.
#
#   SIZES="10 100" scripts/bench-cli.sh     # default: 10 100 1000
#   HELM=0 scripts/bench-cli.sh             # skip the helm side
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${SIZES:-"10 100 1000"}
HELM=${HELM:-1}
CHART=${CHART:-../shared/reference/cht/helm-charts/charts/cht-chart-4x}
BIN=$PWD/bin

[ -x /usr/bin/time ] || { echo "bench-cli: /usr/bin/time (GNU time) is needed: apt-get install time" >&2; exit 1; }
make -s build
go build -o "$BIN/synth-envs" ./internal/synth/cmd/synth-envs
if [ "$HELM" = 1 ]; then
	if [ ! -f "$CHART/Chart.yaml" ]; then
		echo "bench-cli: Medic's chart is not at $CHART (../shared/reference beside the repository); skipping helm" >&2
		HELM=0
	else
		make -s "$BIN/helm" # pinned, from the Go module proxy
	fi
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# run LABEL CMD...: runs CMD under /usr/bin/time -v; sets WALL, CPU, RSS.
run() {
	/usr/bin/time -v -o "$work/time" "$@" >"$work/out" 2>&1 || { echo "bench-cli: $* failed:" >&2; cat "$work/out" >&2; exit 1; }
	WALL=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,t,":"); s=0; for(i=1;i<=n;i++) s=s*60+t[i]; printf "%.2f", s}' "$work/time")
	CPU=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {printf "%.2f", u+s}' "$work/time")
	RSS=$(awk -F': ' '/Maximum resident set size/ {printf "%d", $2/1024}' "$work/time")
}

# written DIR STAMP: files under DIR modified after STAMP.
written() { find "$1" -type f -newer "$2" | wc -l | tr -d ' '; }

echo "| envs | step | wall s | CPU s | peak RSS MiB | files written |"
echo "|---:|---|---:|---:|---:|---:|"
for n in $SIZES; do
	d=$work/$n
	"$BIN/synth-envs" -n "$n" -out "$d/environments" -helm-values "$d/values"
	k8s=$(find "$d/values" -name '*.yaml' | wc -l | tr -d ' ')
	cg=(env -C "$d" "$BIN/cht-gen" --environments environments --out deploy)

	run "${cg[@]}" render
	render=$WALL
	echo "| $n | \`render\` into an empty dir | $WALL | $CPU | $RSS | $(find "$d/deploy" -type f | wc -l | tr -d ' ') |"

	touch "$work/stamp"; sleep 1
	run "${cg[@]}" render --check
	echo "| $n | \`render --check\`, clean | $WALL | $CPU | $RSS | $(written "$d/deploy" "$work/stamp") |"

	# One environment moves to another CHT version.
	f=$(grep -l 'version: "4.21.1"' "$d"/environments/env*.cue | head -1)
	sed -i '0,/version: "4.21.1"/s//version: "4.22.0"/' "$f"
	touch "$work/stamp"; sleep 1
	run "${cg[@]}" render
	echo "| $n | \`render\`, one environment changed | $WALL | $CPU | $RSS | $(written "$d/deploy" "$work/stamp") |"

	if [ "$HELM" = 1 ]; then
		run sh -c 'for f in "$1"/*.yaml; do "$2" template "$(basename "$f" .yaml)" "$3" -f "$f" >/dev/null || exit 1; done' sh "$d/values" "$BIN/helm" "$CHART"
		echo "| $n | \`helm template\` × $k8s (the Kubernetes ones) | $WALL | $CPU | $RSS | |"
		echo "| $n | **helm / cht-gen render, wall** | **$(awk -v h="$WALL" -v c="$render" 'BEGIN {printf "%.1fx", h/c}')** | | | |"
	fi
	rm -rf "$d"
done
