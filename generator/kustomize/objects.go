package kustomize

import (
	"fmt"

	"github.com/cht-gen/cht-gen/generator/files"
	"github.com/cht-gen/cht-gen/generator/model"
)

// M is shorthand for an ordered YAML mapping.
type M = files.Map

// KV is shorthand for one of its keys.
type KV = files.KV

const credentials = "cht-couchdb-credentials"

func labels(svc string) M { return M{{"cht.service", svc}} }

func secretEnv(name, secret string) M {
	return M{{"name", name}, {"valueFrom", M{{"secretKeyRef", M{{"name", secret}, {"key", name}}}}}}
}

func configEnv(name string) M {
	return M{{"name", name}, {"valueFrom", M{{"configMapKeyRef", M{{"name", "couchdb-servers-configmap"}, {"key", name}}}}}}
}

func value(name, v string) M { return M{{"name", name}, {"value", files.Quoted(v)}} }

// deployment is Medic's Deployment shape: label cht.service, its containers.
func deployment(name, svc string, strategy M, containers []M, podExtra ...KV) M {
	spec := M{{"containers", containers}}
	spec = append(spec, podExtra...)
	spec = append(spec, KV{"restartPolicy", "Always"})
	return M{
		{"apiVersion", "apps/v1"},
		{"kind", "Deployment"},
		{"metadata", M{{"labels", labels(svc)}, {"name", name}}},
		{"spec", M{
			{"replicas", 1},
			{"selector", M{{"matchLabels", labels(svc)}}},
			{"strategy", strategy},
			{"template", M{
				{"metadata", M{{"labels", labels(svc)}}},
				{"spec", spec},
			}},
		}},
	}
}

// service is Medic's Service shape; spec is what comes before its ports.
func service(name, svc string, ports []M, spec ...KV) M {
	return M{
		{"apiVersion", "v1"},
		{"kind", "Service"},
		{"metadata", M{{"labels", labels(svc)}, {"name", name}}},
		{"spec", M(append(spec, KV{"ports", ports}, KV{"selector", labels(svc)}))},
	}
}

func port(name string, p int) M {
	m := M{}
	if name != "" {
		m = append(m, KV{"name", name})
	}
	return append(m, KV{"port", p}, KV{"protocol", "TCP"}, KV{"targetPort", p})
}

var rollingNoSurge = M{{"type", "RollingUpdate"}, {"rollingUpdate", M{{"maxSurge", 0}, {"maxUnavailable", 1}}}}

// rollingDefaults is what Kubernetes fills in for Medic's `strategy: {}`
// (and 5.0's bare `type: RollingUpdate`), written out so the reconciler
// owns rollingUpdate: the apiserver's own defaults belong to no field
// manager, so a later move to Recreate (5.0.1, model.RecreateStrategy)
// would leave them in place under server-side apply and be refused with
// "spec.strategy.rollingUpdate: Forbidden" (kubernetes#24198).
var rollingDefaults = M{{"type", "RollingUpdate"}, {"rollingUpdate", M{{"maxSurge", "25%"}, {"maxUnavailable", "25%"}}}}

// envValues are what Medic's env lists depend on: the namespace's service
// addresses, the Secret name and the schema's settings.
// upgradeURL is empty where Medic's chart has no upgrade service (5.x) or
// the environment does not run it; dropUpgradeURL then deletes the base's
// (a strategic merge keeps list entries a patch leaves out);
// nodeEnv adds NODE_ENV and LOG_LEVEL (model.NodeEnvAndLogLevel);
// ulimit adds DEFAULT_ULIMIT=true to CouchDB (couchdb.ulimit, from 4.20.0);
// healthcheckLogLevel adds HEALTHCHECK_LOG_LEVEL (healthcheck.logLevel).
type envValues struct {
	secret, buildsURL, upgradeURL, apiHost, healthcheck, logLevel, couchdbSvc string
	healthcheckLogLevel                                                       string
	nodeEnv, ulimit, dropUpgradeURL                                           bool
}

// baseValues are the base's placeholders; every overlay patches its own.
// The schema's settings are at the schema's defaults (d, from load), so
// an environment that keeps them needs no patch of its env lists; with
// core (5.x) there is no upgrade service.
func baseValues(d *model.Defaults, core bool) envValues {
	v := envValues{
		secret:      credentials,
		buildsURL:   d.Builds.URL(),
		upgradeURL:  "http://upgrade-service:5008",
		apiHost:     "api",
		healthcheck: "healthcheck",
		logLevel:    d.CouchDBLogLevel,
		couchdbSvc:  "couchdb",
	}
	if core {
		v.upgradeURL = ""
	}
	return v
}

// Medic's env lists, in the chart's order. Overlay patches repeat the whole
// list because a strategic merge moves patched entries to the front.
func apiEnv(v envValues) []M {
	env := append(nodeEnv(v), value("BUILDS_URL", v.buildsURL), secretEnv("COUCH_URL", v.secret))
	if v.upgradeURL != "" {
		env = append(env, value("UPGRADE_SERVICE_URL", v.upgradeURL))
	}
	env = append(env, value("API_PORT", "5988"))
	if v.dropUpgradeURL {
		env = append(env, M{{"name", "UPGRADE_SERVICE_URL"}, {"$patch", "delete"}})
	}
	return env
}

func sentinelEnv(v envValues) []M {
	return append(nodeEnv(v), value("API_HOST", v.apiHost), secretEnv("COUCH_URL", v.secret), value("API_PORT", "5988"))
}

// nodeEnv is what Medic's 5.2 chart sets first for API and Sentinel, at
// its defaults (values api/sentinel node_env and log_level).
func nodeEnv(v envValues) []M {
	if !v.nodeEnv {
		return nil
	}
	return []M{value("NODE_ENV", "production"), value("LOG_LEVEL", "info")}
}

func haproxyEnv(v envValues) []M {
	return []M{
		secretEnv("COUCHDB_PASSWORD", v.secret),
		configEnv("COUCHDB_SERVERS"),
		secretEnv("COUCHDB_USER", v.secret),
		value("HAPROXY_IP", "0.0.0.0"),
		value("HAPROXY_PORT", "5984"),
		value("HEALTHCHECK_ADDR", v.healthcheck),
	}
}

// healthcheckEnv adds HEALTHCHECK_LOG_LEVEL only when set, as on Compose
// (Medic's files never set it; the image's default applies).
func healthcheckEnv(v envValues) []M {
	env := []M{secretEnv("COUCHDB_PASSWORD", v.secret), configEnv("COUCHDB_SERVERS"), secretEnv("COUCHDB_USER", v.secret)}
	if v.healthcheckLogLevel != "" {
		env = append(env, value("HEALTHCHECK_LOG_LEVEL", v.healthcheckLogLevel))
	}
	return env
}

func couchdbSingleEnv(v envValues) []M {
	return append([]M{
		value("COUCHDB_LOG_LEVEL", v.logLevel),
		secretEnv("COUCHDB_PASSWORD", v.secret),
		secretEnv("COUCHDB_SECRET", v.secret),
		secretEnv("COUCHDB_USER", v.secret),
		secretEnv("COUCHDB_UUID", v.secret),
		value("SVC_NAME", v.couchdbSvc),
	}, ulimitEnv(v.ulimit)...)
}

// ulimitEnv is DEFAULT_ULIMIT=true, which Medic's CouchDB image reads (from
// 4.20.0) but Medic's files never set: CouchDB then keeps the container
// runtime's open-files limit instead of raising it to 100000, which fails
// where the hard limit is lower (cht-core #9923). Passed, as on Compose,
// only when the schema's couchdb.ulimit is set.
func ulimitEnv(ulimit bool) []M {
	if !ulimit {
		return nil
	}
	return []M{value("DEFAULT_ULIMIT", "true")}
}

// baseObjects are Medic's api, sentinel, haproxy and healthcheck, with the
// namespace-dependent values left for the overlay to patch: cht-chart-4x's
// shape, or with core the shape of cht-core's 5.0.0 chart (components and
// overlays add what later 5.x versions change).
func baseObjects(d *model.Defaults, core bool) map[string][]M {
	v, apiStrategy, apiSvc, stopNow := baseValues(d, core), rollingNoSurge, M{}, []KV(nil)
	if core {
		apiStrategy = rollingDefaults
		apiSvc, stopNow = M{{"type", "ClusterIP"}}, []KV{terminateNow}
	}
	api := deployment("cht-api", "api", apiStrategy, []M{{
		{"env", apiEnv(v)},
		{"image", "cht-api"},
		{"name", "cht-api"},
		{"ports", []M{{{"containerPort", 5988}}}},
	}}, stopNow...)
	sentinel := deployment("cht-sentinel", "sentinel", rollingDefaults, []M{{
		{"env", sentinelEnv(v)},
		{"image", "cht-sentinel"},
		{"name", "cht-sentinel"},
	}})
	haproxy := deployment("cht-haproxy", "haproxy", rollingDefaults, []M{{
		{"env", haproxyEnv(v)},
		{"image", "cht-haproxy"},
		{"name", "cht-haproxy"},
		{"ports", []M{{{"containerPort", 5984}}}},
	}}, append(stopNow, KV{"hostname", "haproxy"})...)
	healthcheck := deployment("cht-haproxy-healthcheck", "healthcheck", rollingDefaults, []M{{
		{"env", healthcheckEnv(v)},
		{"image", "cht-haproxy-healthcheck"},
		{"name", "cht-haproxy-healthcheck"},
		{"ports", []M{{{"containerPort", 5555}}}},
	}})
	// Medic's healthcheck Service carries no labels, only the selector.
	healthcheckSvc := M{
		{"apiVersion", "v1"},
		{"kind", "Service"},
		{"metadata", M{{"name", "healthcheck"}}},
		{"spec", M{{"ports", []M{{{"protocol", "TCP"}, {"port", 5555}, {"targetPort", 5555}}}}, {"selector", labels("healthcheck")}}},
	}
	return map[string][]M{
		"api.yaml":         {api, service("api", "api", []M{{{"port", 5988}, {"targetPort", 5988}}}, apiSvc...)},
		"sentinel.yaml":    {sentinel},
		"haproxy.yaml":     {haproxy, service("haproxy", "haproxy", []M{{{"name", "5984"}, {"port", 5984}, {"targetPort", 5984}}})},
		"healthcheck.yaml": {healthcheck, healthcheckSvc},
	}
}

// terminateNow is cht-core's chart's terminationGracePeriodSeconds: 0.
var terminateNow = KV{"terminationGracePeriodSeconds", 0}

// couchdbSingle is Medic's single-node CouchDB (component couchdb-single,
// or with core couchdb-single-5). Its strategy is Recreate on every line:
// a rolling update would start a second CouchDB on the same volume.
func couchdbSingle(defaults *model.Defaults, core bool) []M {
	pod := []KV{{"securityContext", M{{"runAsUser", 0}, {"fsGroup", 0}}},
		{"volumes", []M{{{"name", "couchdb-claim0"}, {"persistentVolumeClaim", M{{"claimName", "couchdb-claim0"}}}}}}}
	if core {
		pod = append([]KV{terminateNow}, pod...)
	}
	d := deployment("cht-couchdb", "couchdb", M{{"type", "Recreate"}}, []M{{
		{"env", couchdbSingleEnv(baseValues(defaults, false))},
		{"image", "cht-couchdb"},
		{"name", "cht-couchdb"},
		{"ports", []M{{{"containerPort", 5984}}}},
		{"volumeMounts", []M{
			{{"mountPath", "/opt/couchdb/data"}, {"name", "couchdb-claim0"}, {"subPath", "data"}},
			{{"mountPath", "/opt/couchdb/etc/local.d"}, {"name", "couchdb-claim0"}, {"subPath", "local.d"}},
		}},
	}}, pod...)
	s := service("couchdb", "couchdb", []M{port("couchdb-service", 5984), port("epmd", 4369), port("erlang", 9100)})
	return []M{d, s}
}

// recreatePatch turns the base's api, sentinel, haproxy and healthcheck to
// the Recreate strategy (component recreate, model.RecreateStrategy).
func recreatePatch() M {
	return M{{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"metadata", M{{"name", "cht-services"}}},
		{"spec", M{{"strategy", M{{"type", "Recreate"}, {"rollingUpdate", nil}}}}}}
}

// couchdbPod is the cht.service label of the CouchDB pod nouveau belongs
// to, and nouveauClaim the claim it shares: node 1's when clustered (before
// model.NouveauPerNode; from 5.3.0 each node's pod has its own).
func couchdbPod(e *model.Environment) string {
	if e.CouchDB.Clustered() {
		return "couchdb-1"
	}
	return "couchdb"
}

func nouveauClaim(e *model.Environment) string { return couchdbPod(e) + "-claim0" }

// nouveauContainer is Medic's cht-couchdb-nouveau container, its index data
// on claim. The data goes in the claim's subfolder "data" whatever
// CouchDB's subPath, as in Medic's chart (with the default subPath that is
// CouchDB's data folder).
func nouveauContainer(e *model.Environment, claim string) M {
	c := M{{"name", "cht-couchdb-nouveau"}, {"image", e.Image("couchdb-nouveau")}}
	if e.AlwaysPullImages {
		c = append(c, KV{"imagePullPolicy", "Always"})
	}
	return append(c, KV{"ports", []M{{{"containerPort", 5987}}}},
		KV{"volumeMounts", []M{{{"mountPath", "/data/nouveau"}, {"name", claim}, {"subPath", "data"}}}})
}

// nouveauPerNode reports whether every CouchDB node of a cluster runs its
// own nouveau (model.NouveauPerNode).
func nouveauPerNode(e *model.Environment) bool {
	return e.CouchDB.Clustered() && e.Has(model.NouveauPerNode)
}

// nouveau is Medic's Service nouveau (from 5.3.0 on a cluster: one Service
// nouveau-N per node, selecting couchdb-N) and, before
// model.NouveauInCouchDBPod (5.0.x), its own Deployment cht-couchdb-nouveau.
func nouveau(e *model.Environment) []M {
	if nouveauPerNode(e) {
		var out []M
		for n := 1; n <= e.CouchDB.Nodes; n++ {
			name := fmt.Sprintf("nouveau-%d", n)
			out = append(out, M{
				{"apiVersion", "v1"},
				{"kind", "Service"},
				{"metadata", M{{"labels", labels(name)}, {"name", name}}},
				{"spec", M{{"ports", []M{port("nouveau-service", 5987)}}, {"selector", labels(fmt.Sprintf("couchdb-%d", n))}}},
			})
		}
		return out
	}
	selector := "nouveau"
	if e.Has(model.NouveauInCouchDBPod) {
		selector = couchdbPod(e)
	}
	svc := M{
		{"apiVersion", "v1"},
		{"kind", "Service"},
		{"metadata", M{{"labels", labels("nouveau")}, {"name", "nouveau"}}},
		{"spec", M{{"ports", []M{port("nouveau-service", 5987)}}, {"selector", labels(selector)}}},
	}
	if e.Has(model.NouveauInCouchDBPod) {
		return []M{svc}
	}
	var pod []KV
	if e.CouchDB.Clustered() {
		// Medic's chart pins the pod only for a single node.
		for _, kv := range placement(e, 1) {
			if kv[0] == "tolerations" {
				pod = append(pod, kv)
			}
		}
	} else {
		pod = placement(e, 1)
	}
	// The claim is ReadWriteOnce: a pod on another node than CouchDB's
	// could never mount it.
	claim := nouveauClaim(e)
	pod = append(pod,
		KV{"affinity", M{{"podAffinity", M{{"requiredDuringSchedulingIgnoredDuringExecution", []M{{
			{"labelSelector", M{{"matchLabels", labels(couchdbPod(e))}}},
			{"topologyKey", "kubernetes.io/hostname"},
		}}}}}}},
		KV{"volumes", []M{{{"name", claim}, {"persistentVolumeClaim", M{{"claimName", claim}}}}}})
	d := deployment("cht-couchdb-nouveau", "nouveau", M{{"type", "Recreate"}}, []M{nouveauContainer(e, claim)}, pod...)
	return []M{d, svc}
}

// upgradeServiceImage is the image of Medic's Kubernetes upgrade service
// (cht-chart-4x); upgradeService.tag is its tag.
const upgradeServiceImage = "medicmobile/upgrade-service"

// upgradeService is Medic's Kubernetes upgrade service with its RBAC.
func upgradeService(tag string) []M {
	d := deployment("upgrade-service", "upgrade-service", rollingNoSurge, []M{{
		{"image", upgradeServiceImage + ":" + tag},
		{"name", "upgrade-service"},
		{"env", []M{
			{{"name", "CHT_NAMESPACE"}, {"valueFrom", M{{"fieldRef", M{{"fieldPath", "metadata.namespace"}}}}}},
			{{"name", "CHT_DEPLOYMENT_NAME"}, {"valueFrom", M{{"fieldRef", M{{"fieldPath", "metadata.labels['cht.service']"}}}}}},
			value("UPGRADE_SERVICE_PORT", "5008"),
		}},
		{"ports", []M{{{"containerPort", 5008}}}},
	}}, KV{"serviceAccountName", "cht-upgrade-service-user"})
	svc := M{
		{"apiVersion", "v1"},
		{"kind", "Service"},
		{"metadata", M{{"name", "upgrade-service"}}},
		{"spec", M{{"selector", labels("upgrade-service")}, {"ports", []M{port("upgrade-service", 5008)}}, {"type", "ClusterIP"}}},
	}
	sa := M{{"apiVersion", "v1"}, {"kind", "ServiceAccount"}, {"metadata", M{{"name", "cht-upgrade-service-user"}}}}
	verbs := []string{"get", "update", "watch", "patch", "list"}
	role := M{
		{"apiVersion", "rbac.authorization.k8s.io/v1"},
		{"kind", "Role"},
		{"metadata", M{{"name", "deployment-manager"}}},
		{"rules", []M{
			{{"apiGroups", []string{"apps"}}, {"resources", []string{"deployments"}}, {"verbs", verbs}},
			{{"apiGroups", []files.Quoted{""}}, {"resources", []string{"pods"}}, {"verbs", verbs}},
		}},
	}
	rb := M{
		{"apiVersion", "rbac.authorization.k8s.io/v1"},
		{"kind", "RoleBinding"},
		{"metadata", M{{"name", "deployment-manager-cht"}}},
		{"roleRef", M{{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "Role"}, {"name", "deployment-manager"}}},
		{"subjects", []M{{{"apiGroup", files.Quoted("")}, {"kind", "ServiceAccount"}, {"name", "cht-upgrade-service-user"}}}},
	}
	return []M{sa, role, rb, d, svc}
}

// couchdbNode is node n of a clustered CouchDB (Medic's couchdb-n-*).
func couchdbNode(e *model.Environment, n int) []M {
	name := fmt.Sprintf("couchdb-%d", n)
	claim := name + "-claim0"
	env := []M{}
	if n != 1 {
		env = append(env, configEnv("COUCHDB_SYNC_ADMINS_NODE"))
	}
	env = append(env,
		value("COUCHDB_LOG_LEVEL", e.CouchDB.LogLevel),
		secretEnv("COUCHDB_PASSWORD", e.Credentials.SecretName),
		secretEnv("COUCHDB_SECRET", e.Credentials.SecretName),
		secretEnv("COUCHDB_USER", e.Credentials.SecretName),
		secretEnv("COUCHDB_UUID", e.Credentials.SecretName),
		value("SVC_NAME", fmt.Sprintf("%s.%s.svc.cluster.local", name, e.Namespace)),
		value("NODE_COUNT", fmt.Sprint(e.CouchDB.Nodes)),
	)
	if nouveauPerNode(e) {
		// The image writes it into CouchDB's [nouveau] url: each node
		// indexes with its own nouveau.
		env = append(env, value("NOUVEAU_URL", fmt.Sprintf("http://nouveau-%d:5987", n)))
	}
	env = append(env, ulimitEnv(e.KeepsUlimit())...)
	if n == 1 {
		env = append(env, configEnv("CLUSTER_PEER_IPS"))
	}
	container := M{
		{"name", "cht-" + name},
		{"image", e.Image("couchdb")},
	}
	if e.AlwaysPullImages {
		container = append(container, KV{"imagePullPolicy", "Always"})
	}
	container = append(container, KV{"ports", []M{{{"containerPort", 5984}}}}, KV{"env", env})
	if r := resourceReqs(e.CouchDB.Resources); r != nil {
		container = append(container, KV{"resources", r})
	}
	container = append(container, KV{"volumeMounts", dataMounts(e, n, claim)})
	var extra []KV
	if e.Has(model.CoreHelmChart) {
		extra = append(extra, terminateNow)
	}
	extra = append(extra, KV{"securityContext", M{{"runAsUser", 0}, {"fsGroup", 0}}})
	extra = append(extra, placement(e, n)...)
	extra = append(extra, KV{"volumes", []M{{{"name", claim}, {"persistentVolumeClaim", M{{"claimName", claim}}}}}})
	containers := []M{container}
	if nouveauPerNode(e) || n == 1 && e.Has(model.NouveauInCouchDBPod) {
		containers = append(containers, nouveauContainer(e, claim))
	}
	d := deployment("cht-"+name, name, M{{"type", "Recreate"}}, containers, extra...)
	ports := []M{port(fmt.Sprintf("couchdb%d-service", n), 5984), port("cluster-api", 5986), port("epmd", 4369), port("erlang", 9100)}
	if e.Has(model.CoreHelmChart) {
		ports = append(ports[:1:1], ports[2:]...) // CouchDB 3 has no node-local port 5986
	}
	s := service(name, name, ports)
	return []M{d, s}
}

// dataMounts: one volume mounted twice, data and local.d (Medic's layout;
// a wrong data subPath hides existing CouchDB data).
func dataMounts(e *model.Environment, n int, volume string) []M {
	data := M{{"mountPath", "/opt/couchdb/data"}, {"name", volume}}
	if sp := e.CouchDB.Storage.NodeSubPath(n); sp != "" {
		data = append(data, KV{"subPath", sp})
	}
	return []M{data, {{"mountPath", "/opt/couchdb/etc/local.d"}, {"name", volume}, {"subPath", "local.d"}}}
}

func placement(e *model.Environment, n int) []KV {
	var out []KV
	if tol := e.CouchDB.Placement.Tolerations; len(tol) > 0 {
		var ts []M
		for _, t := range tol {
			m := M{{"key", t.Key}, {"operator", t.Operator}}
			if t.Value != "" {
				m = append(m, KV{"value", files.Quoted(t.Value)})
			}
			ts = append(ts, append(m, KV{"effect", t.Effect}))
		}
		out = append(out, KV{"tolerations", ts})
	}
	if nodes := e.CouchDB.Placement.Nodes; len(nodes) >= n {
		out = append(out, KV{"nodeSelector", M{{"kubernetes.io/hostname", nodes[n-1]}}})
	}
	return out
}

func resourceReqs(r model.Resources) M {
	list := func(l *model.ResourceList) M {
		if l == nil {
			return nil
		}
		m := M{}
		if l.CPU != "" {
			m = append(m, KV{"cpu", files.Quoted(l.CPU)})
		}
		if l.Memory != "" {
			m = append(m, KV{"memory", files.Quoted(l.Memory)})
		}
		if len(m) == 0 {
			return nil
		}
		return m
	}
	out := M{}
	if l := list(r.Limits); l != nil {
		out = append(out, KV{"limits", l})
	}
	if l := list(r.Requests); l != nil {
		out = append(out, KV{"requests", l})
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
