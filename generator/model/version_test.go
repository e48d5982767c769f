package model

import (
	"strings"
	"testing"

	"github.com/Masterminds/semver/v3"
)

// The facts table at its edges: each Fact holds from the release Medic's
// files first show it, and a pre-release counts as its release's line.
func TestEnvironment_Has(t *testing.T) {
	for _, tc := range []struct {
		fact    Fact
		version string
		want    bool
	}{
		{MedicRegistry, "4.1.1", false},
		{MedicRegistry, "4.2.0", true},
		{MedicRegistry, "5.2.0", true},
		// Medic's templates at the release tags: couchdb.N, hard-coded
		// CLUSTER_PEER_IPS and no haproxy memory limit up to 4.1.2;
		// DOCKER_DNS_RESOLVER first in 4.10.0.
		{LocalNodeNames, "4.0.1", false},
		{LocalNodeNames, "4.1.2", false},
		{LocalNodeNames, "4.2.0", true},
		{HAProxyMemoryLimit, "4.1.2", false},
		{HAProxyMemoryLimit, "4.2.0", true},
		{InfoLogLevelDefault, "4.2.4", false},
		{InfoLogLevelDefault, "4.3.0", true},
		{DockerDNSResolver, "4.9.0", false},
		{DockerDNSResolver, "4.10.0", true},
		{DockerDNSResolver, "4.21.1", true},
		{DockerDNSResolver, "4.22.0", true},
		{DockerDNSResolver, "5.0.0", true},
		{DefaultUlimitSwitch, "4.19.0", false},
		{DefaultUlimitSwitch, "4.20.0", true},
		{DefaultUlimitSwitch, "5.2.0", true},
		{Nouveau, "4.22.0", false},
		{Nouveau, "5.0.0-beta.1", true}, // a 5.0 pre-release is the 5.x line
		{Nouveau, "5.0.0", true},
		{HealthcheckInCoreFile, "4.22.0", true},
		{HealthcheckInCoreFile, "5.0.0-rc.1", false},
		{HealthcheckInCoreFile, "5.0.0", false},
		{KubernetesUpgradeService, "4.22.0", true},
		{KubernetesUpgradeService, "5.0.0", false},
		{CoreHelmChart, "4.22.0", false},
		{CoreHelmChart, "5.0.0", true},
		// Medic's chart moved nouveau into the CouchDB pod and every
		// Deployment to Recreate in 5.0.1 (cht-core #10481, backported).
		{NouveauInCouchDBPod, "5.0.0", false},
		{NouveauInCouchDBPod, "5.0.1", true},
		{NouveauInCouchDBPod, "5.1.0", true},
		{RecreateStrategy, "5.0.0", false},
		{RecreateStrategy, "5.0.1", true},
		{RecreateStrategy, "5.1.0", true},
		{NodeEnvAndLogLevel, "5.1.0", false},
		{NodeEnvAndLogLevel, "5.2.0-beta.1", true},
		{NodeEnvAndLogLevel, "5.2.0", true},
		{CertbotDeployHook, "4.1.0", false},
		{CertbotDeployHook, "4.2.0", true},
	} {
		e := Environment{Version: tc.version}
		if got := e.Has(tc.fact); got != tc.want {
			t.Errorf("CHT %s: Has(%d) = %v, want %v", tc.version, tc.fact, got, tc.want)
		}
	}
}

// Every Fact has a row in the table: Has panics on one without.
func TestFacts_EveryFactHasARange(t *testing.T) {
	for f := Fact(0); f < numFacts; f++ {
		if _, ok := facts[f]; !ok {
			t.Errorf("Fact %d has no version range in facts", f)
		}
	}
	if len(facts) != int(numFacts) {
		t.Errorf("facts has %d rows for %d Facts", len(facts), numFacts)
	}
	defer func() {
		if recover() == nil {
			t.Error("Has of an unknown Fact did not panic")
		}
	}()
	(&Environment{Version: "5.2.0"}).Has(numFacts)
}

func TestParseVersion(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // the version, or a part of the error
		ok   bool
	}{
		{"4.22.0", "4.22.0", true},
		{"5.2.0", "5.2.0", true},
		{"5.1.0-beta.1", "5.1.0-beta.1", true},
		{"4.0.0", "4.0.0", true},
		{"3.17.0", "CHT 3.17.0 is a 3.x release: cht-gen renders CHT 4.x and 5.x (3.x is end of life", false},
		{"6.0.0", "CHT 6.0.0 is a 6.x release: cht-gen renders CHT 4.x and 5.x; no 6.x hosting files exist", false},
		{"v4.22.0", `"v4.22.0" is not a semantic version (want 4.x.y or 5.x.y`, false},
		{"4.22", `"4.22" is not a semantic version`, false},
		{"5.3.0+build", `"5.3.0+build" has build metadata (+build): Medic tags CHT releases without it; write 5.3.0`, false},
		{"5.3.0-beta.1+x.2", `has build metadata (+x.2)`, false},
		{"latest", `"latest" is not a semantic version`, false},
		{"", `"" is not a semantic version`, false},
	} {
		v, err := ParseVersion(tc.in)
		switch {
		case tc.ok && err != nil:
			t.Errorf("ParseVersion(%q): %v", tc.in, err)
		case tc.ok && v.String() != tc.want:
			t.Errorf("ParseVersion(%q) = %s, want %s", tc.in, v, tc.want)
		case !tc.ok && err == nil:
			t.Errorf("ParseVersion(%q) = %s, want an error", tc.in, v)
		case !tc.ok && !strings.Contains(err.Error(), tc.want):
			t.Errorf("ParseVersion(%q): %q, want it to say %q", tc.in, err, tc.want)
		}
	}
}

// Images before 4.2.0 live in Medic's old registry, tagged <v>-<v>; a
// registry set in the environment wins.
func TestEnvironment_Image(t *testing.T) {
	for _, tc := range []struct {
		version, registry, want string
	}{
		{"4.22.0", "", "public.ecr.aws/medic/cht-api:4.22.0"},
		{"5.2.0", "", "public.ecr.aws/medic/cht-api:5.2.0"},
		{"4.1.0", "", "public.ecr.aws/s5s3h4s7/cht-api:4.1.0-4.1.0"},
		{"4.22.0", "registry.moh.example:5000/mirror", "registry.moh.example:5000/mirror/cht-api:4.22.0"},
	} {
		e := Environment{Version: tc.version, Registry: tc.registry}
		if got := e.Image("api"); got != tc.want {
			t.Errorf("CHT %s registry %q: Image = %s, want %s", tc.version, tc.registry, got, tc.want)
		}
	}
}

// Compose node names changed in 4.2.0, the default log level in 4.3.0.
func TestEnvironment_CouchDBServices(t *testing.T) {
	for _, tc := range []struct {
		version string
		nodes   int
		want    string
		level   string
	}{
		{"4.22.0", 1, "couchdb", "info"},
		{"4.22.0", 3, "couchdb-1.local couchdb-2.local couchdb-3.local", "info"},
		{"4.0.1", 3, "couchdb.1 couchdb.2 couchdb.3", "error"},
		{"4.1.2", 3, "couchdb.1 couchdb.2 couchdb.3", "error"},
		{"4.2.4", 3, "couchdb-1.local couchdb-2.local couchdb-3.local", "error"},
		{"4.3.0", 1, "couchdb", "info"},
	} {
		e := Environment{Version: tc.version, CouchDB: CouchDB{Nodes: tc.nodes}}
		if got := strings.Join(e.CouchDBServices(), " "); got != tc.want {
			t.Errorf("CHT %s, %d nodes: %s, want %s", tc.version, tc.nodes, got, tc.want)
		}
		if got := e.Compose().DefaultLogLevel; got != tc.level {
			t.Errorf("CHT %s: default log level %s, want %s", tc.version, got, tc.level)
		}
	}
}

// Medic's chart substitutes %d in the subPath with the node number; a
// subPath without one is the same for every node.
func TestStorage_NodeSubPath(t *testing.T) {
	for _, tc := range []struct {
		subPath string
		node    int
		want    string
	}{
		{"data", 1, "data"},
		{"data", 3, "data"},
		{"couchdb-%d/data", 2, "couchdb-2/data"},
		{"%d/%d", 3, "3/3"},
		{"", 1, ""},
	} {
		if got := (Storage{SubPath: tc.subPath}).NodeSubPath(tc.node); got != tc.want {
			t.Errorf("NodeSubPath(%q, %d) = %q, want %q", tc.subPath, tc.node, got, tc.want)
		}
	}
}

func TestBlockedUpgrade(t *testing.T) {
	paths := []UpgradePath{{From: ">=4.0.0 <4.5.0", To: ">=5.0.0-0", Via: "4.5.0", Reason: "preparing-for-5"}}
	for _, tc := range []struct {
		from, to string
		blocked  bool
	}{
		{"4.3.0", "5.2.0", true},
		{"4.3.0", "5.0.0-beta.1", true},
		{"4.5.0", "5.2.0", false},
		{"4.3.0", "4.22.0", false},
	} {
		p, err := BlockedUpgrade(paths, semver.MustParse(tc.from), semver.MustParse(tc.to))
		if err != nil {
			t.Fatal(err)
		}
		if (p != nil) != tc.blocked {
			t.Errorf("%s -> %s: blocked %v, want %v", tc.from, tc.to, p != nil, tc.blocked)
		}
	}
	if _, err := BlockedUpgrade([]UpgradePath{{From: "not a range", To: "5"}}, semver.MustParse("4.3.0"), semver.MustParse("5.0.0")); err == nil {
		t.Error("a path with a bad range: no error")
	}
}

func TestEnvironment_SuspendedNote(t *testing.T) {
	for _, tc := range []struct {
		env  Environment
		want string
	}{
		{Environment{Name: "prod", Target: Kubernetes, Namespace: "cht-prod", GitOps: "flux"}, ""},
		{Environment{Name: "vm", Target: Compose, Suspended: true}, ""},
		{Environment{Name: "prod", Target: Kubernetes, Namespace: "cht-prod", GitOps: "flux", Suspended: true},
			"suspended: Flux Kustomization cht-prod has spec.suspend: true; Flux applies, changes and deletes nothing in cht-prod"},
		{Environment{Name: "p", Target: Kubernetes, Namespace: "cht-p", GitOps: "argocd", Suspended: true},
			"suspended: Application cht-p has no automated sync; Argo CD applies, changes and deletes nothing in cht-p"},
		// doco-cd keeps reconciling its last deploy in memory (restarting
		// unhealthy containers, redeploying one it cannot restart) until the
		// agent restarts: the note must say so.
		{Environment{Name: "vm", Target: Compose, GitOps: GitOpsDocoCD, Project: "vm", Suspended: true},
			"suspended: compose/vm has no .doco-cd.yaml; the doco-cd agent on the VM deploys, changes and deletes nothing in project vm once it is restarted"},
	} {
		got := tc.env.SuspendedNote()
		if (tc.want == "") != (got == "") || !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s (%s, suspended %v): %q, want %q", tc.env.Name, tc.env.Target, tc.env.Suspended, got, tc.want)
		}
	}
}

// An unset couchdb.logLevel is Medic's Compose default of the version
// (error before 4.3.0); a set one is kept, even info on 4.0.0.
func TestEnvironment_ComposeLogLevel(t *testing.T) {
	for _, tc := range []struct {
		version, level string
		set            bool
		want           string
	}{
		{"4.0.0", "info", false, "error"},
		{"4.2.4", "info", false, "error"},
		{"4.3.0", "info", false, "info"},
		{"5.2.0", "info", false, "info"},
		{"4.0.0", "info", true, "info"},
		{"4.22.0", "notice", true, "notice"},
	} {
		e := Environment{Version: tc.version, CouchDB: CouchDB{LogLevel: tc.level, LogLevelSet: tc.set}}
		if got := e.ComposeLogLevel(); got != tc.want {
			t.Errorf("CHT %s, logLevel %q set %v: %s, want %s", tc.version, tc.level, tc.set, got, tc.want)
		}
	}
}

// ImageVersion reads the CHT version off Medic's image tags, both forms.
func TestImageVersion(t *testing.T) {
	for image, want := range map[string]string{
		"public.ecr.aws/medic/cht-api:5.2.0":           "5.2.0",
		"public.ecr.aws/s5s3h4s7/cht-api:4.1.0-4.1.0":  "4.1.0",
		"public.ecr.aws/medic/cht-api:5.1.0-beta.1":    "5.1.0-beta.1",
		"mirror.example.org:5000/medic/cht-api:4.22.0": "4.22.0",
		"public.ecr.aws/medic/cht-api":                 "",
		"public.ecr.aws/medic/cht-api:latest":          "",
		"public.ecr.aws/medic/cht-api:3.17.0":          "",
		"":                                             "",
	} {
		got, ok := ImageVersion(image)
		if got != want || ok != (want != "") {
			t.Errorf("ImageVersion(%q) = %q, %v; want %q", image, got, ok, want)
		}
	}
}
