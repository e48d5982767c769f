#!/usr/bin/env bash
# Renders an environments directory (default: the matrix in
# internal/testdata/matrix, every field on both lines and both targets) and
# checks the output the way acceptance does, with the real tools:
#   a. kustomize build of every overlay and every Flux / Argo CD folder;
#   b. kubeconform -strict on each build, with schemas made from a real
#      kube-apiserver's /openapi/v2 after installing the Flux, Argo CD and
#      External Secrets CRDs;
#   c. kubectl apply --server-side --dry-run=server of each build (the
#      overlays' namespaces are created first, for real);
#   d. docker compose config of every Compose project, its upgrade-service
#      and certbot sub-projects, with a .env filled from .env.example;
# and, first, that every rendered YAML file has each mapping key once.
# Prints one PASS/FAIL line per check; exits 1 on any FAIL, 0 with SKIPPED
# when a tool is missing. Used by `make matrix`; not part of `make test`.
#
#   scripts/matrix-check.sh CHT_GEN [ENVIRONMENTS]
#
# Tools: TOOLS (default ~/.cache/cht-tools/bin: kubeconform, kubectl,
# kube-apiserver, docker-compose), KUSTOMIZE (default bin/kustomize), ETCD
# (default /usr/bin/etcd), SHARED (default ../shared: tools/start-k8s.sh,
# tools/k8s-openapi2jsonschema.py), CRDS (default: crds/ of the reference,
# docs/reference.md: make reference or CHT_REFERENCE_DIR). ESO_CRD: External
# Secrets' CRD file (external-secrets.io_externalsecrets.yaml of a release);
# unset, a permissive stand-in with the versions External Secrets serves
# since v0.17.0 (v1 served, v1beta1 not) is installed. KEEP=1 keeps the work
# folder (printed).
set -uo pipefail
gen=${1:?usage: scripts/matrix-check.sh CHT_GEN [ENVIRONMENTS]}
root=$(cd "$(dirname "$0")/.." && pwd)
envs=${2:-$root/internal/testdata/matrix}
TOOLS=${TOOLS:-$HOME/.cache/cht-tools/bin}
SHARED=${SHARED:-$root/../shared}
KUSTOMIZE=${KUSTOMIZE:-$root/bin/kustomize}
ETCD=${ETCD:-/usr/bin/etcd}
# Flux and Argo CD CRDs from the verified reference (docs/reference.md).
CRDS=${CRDS:-$(cd "$root" && go run ./internal/reference/cmd/reference --print-dir 2>/dev/null)/crds}

missing=""
for t in "$TOOLS/kubeconform" "$TOOLS/kubectl" "$TOOLS/kube-apiserver" "$TOOLS/docker-compose" "$KUSTOMIZE" "$ETCD" \
	"$SHARED/tools/start-k8s.sh" "$SHARED/tools/k8s-openapi2jsonschema.py"; do
	[ -x "$t" ] || [ -f "$t" ] || missing="$missing $t"
done
[ -d "$CRDS" ] || missing="$missing $CRDS"
python3 -c 'import yaml' 2>/dev/null || missing="$missing python3-yaml"
if [ -n "$missing" ]; then
	echo "matrix-check: SKIPPED, missing:$missing"
	echo "  install once: ../shared/tools/install.sh (see ../shared/tools/README.md)"
	exit 0
fi
gen=$(cd "$(dirname "$gen")" && pwd)/$(basename "$gen")

work=$(mktemp -d)
k8s=$work/k8s
stop() {
	for p in "$k8s/apiserver.pid" "$k8s/etcd.pid"; do
		[ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null
	done
	if [ "${KEEP:-0}" = 1 ]; then echo "matrix-check: kept $work"; else rm -rf "$work"; fi
}
trap stop EXIT

fails=0
pass() { echo "PASS $*"; }
fail() {
	echo "FAIL $1"
	shift
	[ $# -gt 0 ] && sed 's/^/    /' "$@" | head -40
	fails=$((fails + 1))
}

out=$work/deploy
if ! "$gen" render --environments "$envs" --out "$out" >"$work/render.log" 2>&1; then
	fail "render $envs" "$work/render.log"
	exit 1
fi
pass "render $envs ($(grep -c '^rendered ' "$work/render.log") environments)"

# Every rendered YAML file parses with each mapping key once (kubeconform
# and yamllint refuse duplicates; kustomize silently keeps the last).
if python3 - "$out" >"$work/yaml.log" 2>&1 <<'PYEOF'
import os, sys, yaml
class Strict(yaml.SafeLoader):
    pass
def mapping(loader, node, deep=False):
    seen = set()
    for k, _ in node.value:
        key = loader.construct_object(k, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, "key %r written twice" % (key,), k.start_mark)
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep)
Strict.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
bad = 0
for root, _, names in os.walk(sys.argv[1]):
    for n in names:
        if n.endswith((".yaml", ".yml")):
            p = os.path.join(root, n)
            try:
                list(yaml.load_all(open(p), Loader=Strict))
            except yaml.YAMLError as e:
                print(p, e); bad += 1
sys.exit(1 if bad else 0)
PYEOF
then pass "every rendered YAML file parses strictly (no duplicate keys)"; else fail "rendered YAML parses strictly" "$work/yaml.log"; fi

# a. kustomize build
mkdir -p "$work/builds"
builds=()
for d in "$out"/kubernetes/overlays/* "$out"/clusters/* "$out"/argocd/*; do
	[ -f "$d/kustomization.yaml" ] || continue
	name=$(basename "$(dirname "$d")")-$(basename "$d")
	if "$KUSTOMIZE" build "$d" >"$work/builds/$name.yaml" 2>"$work/builds/$name.err"; then
		pass "kustomize build ${d#"$out"/}"
		builds+=("$name")
	else
		fail "kustomize build ${d#"$out"/}" "$work/builds/$name.err"
	fi
done

# A kube-apiserver with the reconcilers' CRDs, for schemas and dry-runs.
export KUBECONFIG=$k8s/kubeconfig
kubectl() { "$TOOLS/kubectl" "$@"; }
if ! TOOLS=$TOOLS ETCD=$ETCD "$SHARED/tools/start-k8s.sh" "$k8s" >"$work/start-k8s.log" 2>&1; then
	fail "start kube-apiserver" "$work/start-k8s.log"
	exit 1
fi
eso=${ESO_CRD:-$work/eso-crd.yaml}
if [ -z "${ESO_CRD:-}" ]; then
	cat >"$eso" <<'EOF'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: externalsecrets.external-secrets.io
spec:
  group: external-secrets.io
  names: {kind: ExternalSecret, listKind: ExternalSecretList, plural: externalsecrets, singular: externalsecret}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
  - name: v1beta1
    served: false
    storage: false
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
EOF
fi
crds_ok=1
for c in "$CRDS"/*.yaml "$eso"; do
	kubectl apply --server-side -f "$c" >"$work/crd.log" 2>&1 || { fail "install CRD $c" "$work/crd.log"; crds_ok=0; }
done
[ $crds_ok = 1 ] && kubectl wait --for condition=established --timeout=60s crd --all >"$work/crd.log" 2>&1 ||
	fail "CRDs established" "$work/crd.log"
# b. kubeconform -strict with schemas from this apiserver; its aggregated
# /openapi/v2 follows new CRDs a moment later, so wait for their kinds.
schemas=$work/schemas
kinds="kustomization-kustomize-v1 gitrepository-source-v1 application-argoproj-v1alpha1 applicationset-argoproj-v1alpha1 externalsecret-external-secrets-v1"
for _ in $(seq 30); do
	rm -rf "$schemas"
	kubectl get --raw /openapi/v2 >"$work/swagger.json" 2>"$work/schemas.log" &&
		python3 "$SHARED/tools/k8s-openapi2jsonschema.py" "$work/swagger.json" "$schemas" >>"$work/schemas.log" 2>&1
	missing_kinds=""
	for kind in $kinds; do [ -f "$schemas/$kind.json" ] || missing_kinds="$missing_kinds $kind"; done
	[ -z "$missing_kinds" ] && break
	sleep 1
done
if [ -n "$missing_kinds" ]; then
	echo "no schema for:$missing_kinds" >>"$work/schemas.log"
	fail "schemas from /openapi/v2" "$work/schemas.log"
fi
for b in "${builds[@]}"; do
	if "$TOOLS/kubeconform" -strict -summary -schema-location "$schemas/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
		"$work/builds/$b.yaml" >"$work/builds/$b.kc" 2>&1; then
		pass "kubeconform -strict $b"
	else
		fail "kubeconform -strict $b" "$work/builds/$b.kc"
	fi
done

# c. server-side dry-run; namespaces first (an overlay's own Namespace, and
# flux-system / argocd for the reconciler folders)
for ns in flux-system argocd; do kubectl create namespace "$ns" >/dev/null 2>&1; done
for b in "${builds[@]}"; do
	f=$work/builds/$b.yaml
	if grep -q '^kind: Namespace$' "$f"; then
		python3 - "$f" >"$work/builds/$b.ns.yaml" <<'EOF'
import sys
docs = open(sys.argv[1]).read().split("\n---\n")
print("\n---\n".join(d for d in docs if "\nkind: Namespace\n" in "\n" + d + "\n"))
EOF
		kubectl apply --server-side -f "$work/builds/$b.ns.yaml" >"$work/builds/$b.ns.log" 2>&1 ||
			{ fail "create namespace of $b" "$work/builds/$b.ns.log"; continue; }
	fi
	if kubectl apply --server-side --dry-run=server -f "$f" >"$work/builds/$b.dry" 2>&1; then
		pass "server-side dry-run $b"
	else
		fail "server-side dry-run $b" "$work/builds/$b.dry"
	fi
done

# d. docker compose config, with the .env hosts fill from .env.example
compose_config() { # label dir project files...
	local label=$1 dir=$2 project=$3
	shift 3
	local args=()
	for f in "$@"; do args+=(-f "$f"); done
	if (cd "$dir" && "$TOOLS/docker-compose" --env-file "$env" -p "$project" "${args[@]}" config -q) >"$work/compose.log" 2>&1 &&
		! grep -qi 'warn' "$work/compose.log"; then
		pass "docker compose config $label"
	else
		fail "docker compose config $label" "$work/compose.log"
	fi
}
for d in "$out"/compose/*/; do
	d=${d%/}
	e=$(basename "$d")
	env=$work/$e.env
	sed -e 's/^COUCHDB_PASSWORD=$/COUCHDB_PASSWORD=dummy-password/' \
		-e 's/^COUCHDB_SECRET=$/COUCHDB_SECRET=dummy-secret/' \
		-e 's/^COUCHDB_UUID=$/COUCHDB_UUID=00000000-0000-4000-8000-000000000000/' "$d/.env.example" >"$env"
	if grep -q '^[A-Z_0-9]*=$' "$env"; then
		fail "$e: .env.example has a variable this check does not fill: $(grep '^[A-Z_0-9]*=$' "$env" | tr '\n' ' ')"
	fi
	project=$(sed -n 's/^.*CHT_COMPOSE_PROJECT_NAME=\${CHT_COMPOSE_PROJECT_NAME:-\([^}]*\)}.*$/\1/p' "$d"/upgrade-service/docker-compose.yml 2>/dev/null | head -1)
	[ -n "$project" ] || project=$(sed -n 's/^.*docker compose -p \([^ ]*\) -f cht-core.yml.*$/\1/p' "$d/README.md" | head -1)
	[ -n "$project" ] || project=$e
	db=cht-couchdb.yml
	[ -f "$d/cht-couchdb-clustered.yml" ] && db=cht-couchdb-clustered.yml
	compose_config "$e (cht-core.yml + $db)" "$d" "$project" cht-core.yml "$db"
	[ -f "$d/upgrade-service/docker-compose.yml" ] &&
		compose_config "$e/upgrade-service" "$d" "$project-upgrade" upgrade-service/docker-compose.yml
	[ -f "$d/certbot/docker-compose.yml" ] &&
		compose_config "$e/certbot" "$d" "$project-certbot" certbot/docker-compose.yml
done

if [ $fails -gt 0 ]; then
	echo "matrix-check: $fails FAIL"
	exit 1
fi
echo "matrix-check: all PASS"
