package model

import "github.com/Masterminds/semver/v3"

// Fact is one detail of Medic's hosting files that changed between CHT
// releases. Every per-version difference the renderers know of is a Fact in
// the table below, read off Medic's files under ../shared/reference/cht
// (README, "Ground truth"); renderers ask Environment.Has instead of
// comparing versions themselves.
type Fact int

const (
	// Images live in public.ecr.aws/medic tagged <version>; before 4.2.0 in
	// public.ecr.aws/s5s3h4s7 tagged <version>-<version>.
	MedicRegistry Fact = iota
	// Compose cluster nodes are couchdb-N.local and CLUSTER_PEER_IPS is
	// overridable; 4.0.x and 4.1.x had couchdb.N and hard-coded peers: 4.2.0.
	LocalNodeNames
	// Compose COUCHDB_LOG_LEVEL defaults to info; error before: 4.3.0
	// (Environment.ComposeLogLevel, when couchdb.logLevel is unset).
	InfoLogLevelDefault
	// Compose haproxy has a 1G memory limit: 4.2.0.
	HAProxyMemoryLimit
	// Compose haproxy sets DOCKER_DNS_RESOLVER=true (HAProxy re-resolves
	// CouchDB's address through Docker's DNS after a restart): 4.10.0.
	DockerDNSResolver
	// Medic's CouchDB image reads DEFAULT_ULIMIT: "true" starts CouchDB with
	// the container's open-files limit instead of raising it to 100000,
	// which fails where the hard limit is lower ("ulimit: error setting
	// limit (Operation not permitted)", cht-core #9923, #9949): 4.20.0.
	// Before, the image always raises it. Medic's files never pass it.
	DefaultUlimitSwitch
	// CouchDB's full-text search runs in nouveau (cht-couchdb-nouveau,
	// port 5987, data in <couchdb data>/nouveau): 5.0.0.
	Nouveau
	// Compose: the healthcheck service is in cht-core.yml (4.x); from 5.0.0
	// it is only in the clustered CouchDB file.
	HealthcheckInCoreFile
	// Kubernetes: Medic's chart deploys the upgrade service (Role,
	// RoleBinding, ServiceAccount, Deployment, Service) and API reads
	// UPGRADE_SERVICE_URL; the 5.x chart has none ("Stage" only).
	KubernetesUpgradeService
	// Kubernetes: Medic's chart is cht-core's scripts/build/helm, not
	// helm-charts' cht-chart-4x: API, HAProxy and CouchDB pods stop with
	// terminationGracePeriodSeconds 0, the api Service names type ClusterIP,
	// tolerations only when set, API's strategy has no rollingUpdate bounds.
	CoreHelmChart
	// Kubernetes: nouveau is a second container of the CouchDB pod (node 1
	// when clustered) instead of its own Deployment (cht-core #10481): 5.0.1
	// (the chart's templates are the same from 5.0.1 to 5.1.3).
	NouveauInCouchDBPod
	// Kubernetes: every Deployment (api, sentinel, haproxy, healthcheck,
	// CouchDB) uses the Recreate strategy: 5.0.1. The 5.0.0 chart has
	// RollingUpdate for api and CouchDB and none for the others; cht-gen
	// keeps CouchDB on Recreate on every line (one writer per volume).
	RecreateStrategy
	// Kubernetes: API and Sentinel read NODE_ENV and LOG_LEVEL: 5.2.0.
	NodeEnvAndLogLevel
	// Compose nginx with CERTIFICATE_MODE=AUTO_GENERATE serves certbot's
	// webroot and ships the deploy.sh hook Medic's certbot file calls: 4.2.0
	// (cht-docs, "Adding TLS certificates in CHT").
	CertbotDeployHook
	// Kubernetes, clustered CouchDB: nouveau runs in every couchdb-N pod
	// (before: node 1 only), each CouchDB container reads
	// NOUVEAU_URL=http://nouveau-N:5987, and each node has its own Service
	// nouveau-N instead of one Service nouveau (cht-core #11125, PR #11126):
	// 5.3.0. Single node and Compose are unchanged (Medic's Compose cluster
	// file keeps one nouveau on node 1's data).
	NouveauPerNode

	// numFacts counts the Facts above; keep it last.
	numFacts
)

// factRange is where a Fact holds: from since (inclusive) to until
// (exclusive); nil means unbounded.
type factRange struct{ since, until *semver.Version }

func since(v string) factRange { return factRange{since: semver.MustParse(v)} }
func until(v string) factRange { return factRange{until: semver.MustParse(v)} }

// facts is the table. Where the exact first version is unknown between two
// reference releases, the comment says which were compared.
var facts = map[Fact]factRange{
	MedicRegistry:            since("4.2.0"),
	LocalNodeNames:           since("4.2.0"),  // every release tag's templates compared
	InfoLogLevelDefault:      since("4.3.0"),  // every release tag's templates compared
	HAProxyMemoryLimit:       since("4.2.0"),  // every release tag's templates compared
	DockerDNSResolver:        since("4.10.0"), // every release tag's templates compared
	DefaultUlimitSwitch:      since("4.20.0"), // couchdb/docker-entrypoint.sh at every release tag
	Nouveau:                  since("5.0.0"),
	HealthcheckInCoreFile:    until("5.0.0"),
	KubernetesUpgradeService: until("5.0.0"),
	CoreHelmChart:            since("5.0.0"), // compared cht-chart-4x (4.22.0) and cht-core 5.0.0
	NouveauInCouchDBPod:      since("5.0.1"), // cht-core's scripts/build/helm at every 5.x tag
	RecreateStrategy:         since("5.0.1"), // same
	NodeEnvAndLogLevel:       since("5.2.0"),
	CertbotDeployHook:        since("4.2.0"),
	NouveauPerNode:           since("5.3.0"), // compared the 5.2.0 chart with Medic's published 5.3.0 chart
}

// Has reports whether Medic's files of the environment's version have f,
// counting a pre-release of a version as that version's line.
func (e *Environment) Has(f Fact) bool {
	r, ok := facts[f]
	if !ok {
		panic("model: fact without a version range")
	}
	v := e.version()
	core := semver.New(v.Major(), v.Minor(), v.Patch(), "", "")
	if r.since != nil && core.LessThan(r.since) {
		return false
	}
	return r.until == nil || core.LessThan(r.until)
}
