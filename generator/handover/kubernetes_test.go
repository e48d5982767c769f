package handover_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"mvdan.cc/sh/v3/syntax"

	"github.com/cht-gen/cht-gen/generator/handover"
	"github.com/cht-gen/cht-gen/generator/model"
)

// env is a Kubernetes environment as load fills it, with nodes CouchDB
// nodes of size 100Gi.
func env(version string, nodes int) *model.Environment {
	return &model.Environment{
		Name: "prod", Target: model.Kubernetes, Version: version, Namespace: "cht-prod", Cluster: "moh",
		CouchDB:     model.CouchDB{Nodes: nodes, User: "medic", Storage: model.Storage{Size: "100Gi", SubPath: "data"}},
		Credentials: model.Credentials{SecretName: "cht-couchdb-credentials"},
	}
}

// upgradeService runs Medic's upgrade service in e.
func upgradeService(e *model.Environment) *model.Environment {
	e.UpgradeService.Enabled = true
	return e
}

// overlay4 is what a 4.x overlay builds to (without the upgrade service).
var overlay4 = []handover.Object{
	{APIVersion: "v1", Kind: "Namespace", Name: "cht-prod"},
	{APIVersion: "v1", Kind: "ConfigMap", Name: "couchdb-servers-configmap"},
	{APIVersion: "v1", Kind: "PersistentVolumeClaim", Name: "couchdb-claim0"},
	{APIVersion: "apps/v1", Kind: "Deployment", Name: "cht-api"},
	{APIVersion: "v1", Kind: "Service", Name: "api"},
	{APIVersion: "networking.k8s.io/v1", Kind: "Ingress", Name: "api-ingress"},
	{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role", Name: "deployment-manager"},
}

func plan(t *testing.T, e *model.Environment, o handover.KubernetesOptions) handover.Plan {
	t.Helper()
	if o.Overlay == nil {
		o.Overlay = overlay4
	}
	p, err := handover.For(e, handover.Options{Kubernetes: o})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func step(p handover.Plan, name string) (handover.Step, bool) {
	for _, s := range p.Steps {
		if s.Name == name {
			return s, true
		}
	}
	return handover.Step{}, false
}

func TestKubernetes_Steps(t *testing.T) {
	ebs := func(e *model.Environment, ids ...string) *model.Environment {
		e.CouchDB.Storage.Existing = &model.Existing{EBSVolumeIDs: ids}
		return e
	}
	class := func(e *model.Environment, c string) *model.Environment { e.CouchDB.Storage.Class = c; return e }
	hostPath := func(e *model.Environment, paths ...string) *model.Environment {
		e.CouchDB.Storage.Existing = &model.Existing{HostPaths: paths}
		e.CouchDB.Storage.Class = "local-storage"
		return e
	}
	for _, tc := range []struct {
		name    string
		e       *model.Environment
		overlay []handover.Object
		release string
		step    string // the step that must (or, with absent, must not) hold each line
		has     []string
		absent  bool
	}{
		{name: "single node, dynamic claim of a class", e: class(env("4.22.0", 1), "ebs-gp2"), step: "claims-bound", has: []string{
			`got=$(kubectl -n cht-prod get pvc couchdb-claim0 -o jsonpath=`,
			`[ "$class" = ebs-gp2 ] || fail claim couchdb-claim0 has storage class`,
			`[ "$size" = 100Gi ] || fail claim couchdb-claim0 requests "$size"`,
			`! kubectl -n cht-prod get pvc couchdb-1-claim0 >/dev/null 2>&1 || fail claim couchdb-1-claim0 exists`,
		}},
		{name: "dynamic claim of the default class: any class", e: env("4.22.0", 1), step: "claims-bound", absent: true, has: []string{`[ "$class" =`, `[ "$volume" =`}},
		{name: "size written as the API server prints it", e: func() *model.Environment { e := env("4.22.0", 1); e.CouchDB.Storage.Size = "1024Mi"; return e }(),
			step: "claims-bound", has: []string{`[ "$size" = 1Gi ]`}},
		{name: "three nodes on pre-existing EBS volumes", e: ebs(env("4.22.0", 3), "vol-1", "vol-2", "vol-3"), step: "claims-bound", has: []string{
			`! kubectl -n cht-prod get pvc couchdb-claim0 >/dev/null 2>&1 || fail`,
			`! kubectl -n cht-prod get pvc couchdb-4-claim0 >/dev/null 2>&1 || fail`,
			`[ "$volume" = couchdb-pv-cht-prod-2 ] || fail claim couchdb-2-claim0 is bound to volume "$volume"`,
			`[ "$class" = '' ] || fail claim couchdb-3-claim0`,
		}},
		{name: "each volume is its EBS volume", e: ebs(env("4.22.0", 3), "vol-1", "vol-2", "vol-3"), step: "volumes", has: []string{
			`[ "$ref" = cht-prod/couchdb-3-claim0 ] || fail volume "$pv" is bound to "$ref"`,
			`[ "$handle" = vol-3 ] || fail volume "$pv" is EBS volume "$handle"`,
		}},
		{name: "clustered local volumes", e: hostPath(env("4.22.0", 2), "/var/lib/cht-prod-couchdb1", "/srv/it's here"), step: "volumes", has: []string{
			`[ "$path" = /var/lib/cht-prod-couchdb1 ] || fail`,
			`[ "$path" = "/srv/it's here" ] || fail`,
		}},
		{name: "4.x single node on a host folder: no claim yet", e: hostPath(env("4.22.0", 1), "/srv/couch"), step: "claims-bound", has: []string{
			`if ! kubectl -n cht-prod get pvc couchdb-claim0 >/dev/null 2>&1; then`,
			`[ "$path" = /srv/couch ] || fail CouchDB mounts host folder "$path"`,
		}},
		{name: "the Secret's keys, never printed", e: env("4.22.0", 1), step: "credentials-secret", has: []string{
			`for key in COUCHDB_USER COUCHDB_PASSWORD COUCHDB_SECRET COUCHDB_UUID COUCH_URL; do`,
			`[ -n "$(kubectl -n cht-prod get secret cht-couchdb-credentials -o "jsonpath={.data.$key}")" ]`,
		}},
		{name: "Helm-only objects: the overlay's and the Secret are kept", e: env("4.22.0", 1), step: "helm-only-objects", has: []string{
			`-e configmap/couchdb-servers-configmap -e deployment.apps/cht-api -e ingress.networking.k8s.io/api-ingress -e namespace/cht-prod -e persistentvolumeclaim/couchdb-claim0 -e role.rbac.authorization.k8s.io/deployment-manager -e secret/cht-couchdb-credentials -e service/api`,
			`case $o in persistentvolumeclaim/*|persistentvolume/*|secret/*) fail`,
		}},
		{name: "retain every claim's volume", e: env("4.22.0", 1), step: "retain-volumes", has: []string{
			`[ -z "$pv" ] || kubectl patch pv "$pv" -p '{"spec":{"persistentVolumeReclaimPolicy":"Retain"}}'`,
		}},
		{name: "protect claims, volumes and the Secret", e: env("4.22.0", 1), step: "protect-data", has: []string{
			`kubectl -n cht-prod annotate --overwrite pvc couchdb-claim0 'kustomize.toolkit.fluxcd.io/prune=disabled' 'argocd.argoproj.io/sync-options=Prune=false,Delete=false'`,
			`kubectl -n cht-prod annotate --overwrite secret cht-couchdb-credentials`,
		}},
		// Without the upgrade service the overlay renders no
		// UPGRADE_SERVICE_URL; server-side apply would leave Helm's (issue 22).
		{name: "API's upgrade service address removed, only when there", e: env("4.22.0", 1), step: "api-upgrade-service-url", has: []string{
			`url=$(kubectl -n cht-prod get deployment cht-api -o jsonpath='{.spec.template.spec.containers[?(@.name=="cht-api")].env[?(@.name=="UPGRADE_SERVICE_URL")].name}' --ignore-not-found)`,
			`[ -z "$url" ] || kubectl -n cht-prod set env deployment/cht-api -c cht-api UPGRADE_SERVICE_URL-`,
		}},
		{name: "API's upgrade service address kept with the upgrade service", e: upgradeService(env("4.22.0", 1)), step: "api-upgrade-service-url", absent: true},
		{name: "5.x: no upgrade service address to remove", e: env("5.2.0", 1), step: "api-upgrade-service-url", absent: true},
		{name: "ownership dropped only from the release's objects", e: env("4.22.0", 1), release: "cht-2024", step: "drop-helm-ownership", has: []string{
			`[ "$owner" = cht-2024 ] || continue`,
			`kubectl -n cht-prod annotate "$o" meta.helm.sh/release-name- meta.helm.sh/release-namespace-`,
			`kubectl -n cht-prod label "$o" app.kubernetes.io/managed-by-`,
		}},
		{name: "forget the release: its records only", e: env("4.22.0", 1), release: "cht-2024", step: "forget-helm-release", has: []string{
			`kubectl -n cht-prod delete secret -l 'owner=helm,name=cht-2024' --field-selector type=helm.sh/release.v1 --ignore-not-found`,
			`! helm status cht-2024 -n cht-prod >/dev/null 2>&1 || fail Helm still lists release cht-2024`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := plan(t, tc.e, handover.KubernetesOptions{Overlay: tc.overlay, Release: tc.release})
			s, ok := step(p, tc.step)
			if !ok {
				if tc.absent {
					return
				}
				t.Fatalf("no step %s in %v", tc.step, names(p))
			}
			for _, l := range tc.has {
				if got := strings.Contains(s.Script, l); got == tc.absent {
					t.Errorf("step %s: contains %q = %v, want %v:\n%s", tc.step, l, got, !tc.absent, s.Script)
				}
			}
		})
	}
}

func names(p handover.Plan) []string {
	var out []string
	for _, s := range p.Steps {
		out = append(out, s.Name)
	}
	return out
}

// The script is POSIX sh that parses, every check comes before the first
// change, each step is commented with its why, and no step ever deletes a
// claim, a volume or the credentials Secret by name.
func TestKubernetes_Script(t *testing.T) {
	e := env("4.22.0", 3)
	e.CouchDB.Storage.Existing = &model.Existing{HostPaths: []string{"/a b", "/c$(rm -rf /)", "/e`x`"}}
	p := plan(t, e, handover.KubernetesOptions{})
	script := p.Script()
	if _, err := syntax.NewParser(syntax.Variant(syntax.LangPOSIX)).Parse(bytes.NewReader(script), "handover.sh"); err != nil {
		t.Fatalf("not POSIX sh: %v\n%s", err, script)
	}
	if !bytes.HasPrefix(script, []byte("#!/bin/sh\n")) || !bytes.Contains(script, []byte("\nset -eu\n")) {
		t.Error("no #!/bin/sh and set -eu")
	}
	for _, s := range p.Steps { // each step stands alone, for -o json
		if !strings.HasPrefix(s.Script, "fail() { echo 'handover prod:' \"$*\" >&2; exit 1; }\nsay() {") {
			t.Errorf("step %s does not define fail and say:\n%s", s.Name, s.Script)
		}
	}
	for _, hostile := range []string{"'/c$(rm -rf /)'", "'/e`x`'", "'/a b'"} {
		if !bytes.Contains(script, []byte(hostile)) {
			t.Errorf("host path not quoted as %s", hostile)
		}
	}
	seenChange := false
	for _, s := range p.Steps {
		if s.Kind == handover.Change {
			seenChange = true
		} else if seenChange {
			t.Errorf("check %s comes after a change", s.Name)
		}
		if !bytes.Contains(script, []byte("\n# "+s.Name+" ("+string(s.Kind)+"): "+strings.Fields(s.Why)[0])) {
			t.Errorf("step %s is not commented with its why", s.Name)
		}
		for _, l := range strings.Split(s.Script, "\n") {
			if strings.Contains(l, "kubectl") && strings.Contains(l, " delete ") &&
				(strings.Contains(l, " pvc") || strings.Contains(l, " pv ") || strings.Contains(l, "cht-couchdb-credentials")) {
				t.Errorf("step %s deletes data: %s", s.Name, l)
			}
		}
	}
	var back handover.Plan
	b, _ := json.Marshal(p)
	if err := json.Unmarshal(b, &back); err != nil || len(back.Steps) != len(p.Steps) || back.Steps[0].Kind != handover.Check {
		t.Errorf("JSON round trip: %v %s", err, b)
	}
}

func TestKubernetes_Refusals(t *testing.T) {
	compose := env("4.22.0", 1)
	compose.Target = model.Compose
	for _, tc := range []struct {
		name string
		e    *model.Environment
		o    handover.KubernetesOptions
		want string
	}{
		{"not kubernetes", compose, handover.KubernetesOptions{Overlay: overlay4}, "targets compose, not kubernetes"},
		{"no overlay", env("4.22.0", 1), handover.KubernetesOptions{}, "no overlay objects"},
		{"release name", env("4.22.0", 1), handover.KubernetesOptions{Overlay: overlay4, Release: "Prod;rm -rf"}, `"Prod;rm -rf" is not a Helm release name`},
		{"release too long", env("4.22.0", 1), handover.KubernetesOptions{Overlay: overlay4, Release: strings.Repeat("a", 54)}, "is not a Helm release name"},
		{"a NUL byte", func() *model.Environment {
			e := env("4.22.0", 1)
			e.CouchDB.Storage.Existing = &model.Existing{HostPaths: []string{"/a\x00b"}}
			return e
		}(), handover.KubernetesOptions{Overlay: overlay4}, "cannot be written as a shell word"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := handover.Kubernetes(tc.e, tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}
