#!/usr/bin/env bash
# Times the cht-gen CLI end to end on synthetic fleets shaped like issue 15's
# (of every 100 environments: 80 Kubernetes tenants over four clusters, one
# in ten with a CouchDB cluster, and 20 Compose VMs), and `helm template` of
# Medic's cht-chart-4x for the same Kubernetes environments (one values file
# each, what hosts do today), with /usr/bin/time -v. Prints a Markdown table.
# Used by `make bench`.
#
# Each round runs, interleaved: helm template × the tenants; cht-gen render
# into an empty folder with an empty verify cache (every overlay built, every
# Compose folder loaded); render --check on the clean tree; render after one
# environment changed; render into another empty folder with the cache warm
# (a fresh clone on the same machine). The table shows each step's median
# over the rounds, so a busy machine skews both sides alike.
#
#   SIZES="100" ROUNDS=5 scripts/bench-cli.sh   # default: SIZES="100 1000" ROUNDS=3
#   HELM=0 scripts/bench-cli.sh                 # skip the helm side
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${SIZES:-"100 1000"}
ROUNDS=${ROUNDS:-3}
HELM=${HELM:-1}
# Medic's chart from the verified reference (docs/reference.md; make reference).
CHART=${CHART:-$(go run ./internal/reference/cmd/reference --print-dir 2>/dev/null)/cht/helm-charts/charts/cht-chart-4x}

[ -x /usr/bin/time ] || { echo "bench-cli: /usr/bin/time (GNU time) is needed: apt-get install time" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Private binaries: bin/ may be shared with other checkouts.
make -s build BIN="$work/bin"
go build -o "$work/bin/synth-envs" ./internal/synth/cmd/synth-envs
if [ "$HELM" = 1 ]; then
	if [ ! -f "$CHART/Chart.yaml" ]; then
		echo "bench-cli: Medic's chart is not at $CHART (run make reference); skipping helm" >&2
		HELM=0
	else
		make -s "$PWD/bin/helm" # pinned, from the Go module proxy
	fi
fi

# run KEY CMD...: runs CMD under /usr/bin/time -v and appends
# "wall cpu rss" to $work/KEY.
run() {
	local key=$1
	shift
	/usr/bin/time -v -o "$work/time" "$@" >"$work/out" 2>&1 || { echo "bench-cli: $* failed:" >&2; cat "$work/out" >&2; exit 1; }
	awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,t,":"); s=0; for(i=1;i<=n;i++) s=s*60+t[i]; w=s}
		/User time/ {u=$2} /System time/ {c=$2} /Maximum resident set size/ {r=$2/1024}
		END {printf "%.3f %.3f %d\n", w, u+c, r}' "$work/time" >>"$work/$key"
}

# median KEY FIELD: the median of column FIELD of $work/KEY.
median() { sort -n -k"$2","$2" "$work/$1" | awk -v f="$2" '{v[NR]=$f} END {m=int((NR+1)/2); print v[m]}'; }

# written DIR STAMP: files under DIR modified after STAMP.
written() { find "$1" -type f -newer "$2" | wc -l | tr -d ' '; }

row() { # row N KEY LABEL FILES
	printf '| %s | %s | %.2f | %.2f | %d | %s |\n' "$1" "$3" "$(median "$2" 1)" "$(median "$2" 2)" "$(median "$2" 3)" "$4"
}

echo "| envs | step (median of $ROUNDS) | wall s | CPU s | peak RSS MiB | files written |"
echo "|---:|---|---:|---:|---:|---:|"
for n in $SIZES; do
	d=$work/$n
	rm -f "$work"/{helm,cold,check,changed,warm}
	"$work/bin/synth-envs" -n "$n" -out "$d/pristine" -helm-values "$d/values"
	k8s=$(find "$d/values" -name '*.yaml' | wc -l | tr -d ' ')
	for round in $(seq "$ROUNDS"); do
		# Each round in folders of its own, all removed after the last
		# round: on ext4 without a journal (this VM's disk), creating files
		# within a minute or more of deleting thousands costs several
		# times more (the inode allocator skips recently deleted inodes:
		# recently_deleted() in fs/ext4/ialloc.c), and helm writes
		# nothing, so removing the previous round's 2,200 files here was
		# charged to the next render.
		r=$d/round$round
		mkdir -p "$r"
		cp -r "$d/pristine" "$r/environments"
		cg=(env -C "$r" XDG_CACHE_HOME="$r/cache" CHT_GEN_NO_VERIFY_CACHE= "$work/bin/cht-gen" --environments environments)

		if [ "$HELM" = 1 ]; then
			run helm sh -c 'for f in "$1"/*.yaml; do "$2" template "$(basename "$f" .yaml)" "$3" -f "$f" >/dev/null || exit 1; done' sh "$d/values" "$PWD/bin/helm" "$CHART"
		fi

		run cold "${cg[@]}" --out deploy render
		files=$(find "$r/deploy" -type f | wc -l | tr -d ' ')

		touch "$work/stamp"
		sleep 0.1
		run check "${cg[@]}" --out deploy render --check
		check_written=$(written "$r/deploy" "$work/stamp")

		# One tenant moves to another CHT version.
		f=$(grep -l 'version: "4.21.1"' "$r"/environments/env*.cue | sed -n 1p) # not head: grep would die of SIGPIPE (pipefail)
		sed -i '0,/target: "kubernetes", version: "4.21.1"/s//target: "kubernetes", version: "4.22.0"/' "$f"
		touch "$work/stamp"
		sleep 0.1
		run changed "${cg[@]}" --out deploy render
		changed_written=$(written "$r/deploy" "$work/stamp")

		run warm "${cg[@]}" --out clone render
	done
	row "$n" cold "\`render\` into an empty folder, verify cache empty" "$files"
	row "$n" check "\`render --check\`, clean tree" "$check_written"
	row "$n" changed "\`render\`, one environment changed" "$changed_written"
	row "$n" warm "\`render\` into an empty folder, cache warm" "$files"
	if [ "$HELM" = 1 ]; then
		row "$n" helm "\`helm template\` × $k8s (the Kubernetes ones)" ""
		echo "| $n | **helm / cht-gen render (empty folder, cache empty), wall** | **$(awk -v h="$(median helm 1)" -v c="$(median cold 1)" 'BEGIN {printf "%.1fx", h/c}')** | | | |"
	fi
	# $d stays until the end (trap), for the same reason as the rounds'.
done
