package kustomize_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/cht-gen/cht-gen/generator/kustomize"
	"github.com/cht-gen/cht-gen/generator/model"
	hc "github.com/cht-gen/cht-gen/internal/helmcompare"
)

// kubernetesSettings sets the schema's Kubernetes settings away from their
// defaults, on a one-node EKS environment of version.
const kubernetesSettings = `environments: set: {target: "kubernetes", version: %q, host: "set.example.org", alwaysPullImages: true,
	builds: {marketURL: "https://market.example.org", server: "_couch/builds_5"},
	couchdb: {logLevel: "notice", ulimit: 65536, storage: {size: "100Mi", class: "ebs-gp2"}, resources: {requests: {cpu: "500m", memory: "1Gi"}, limits: memory: "4Gi"},
		placement: tolerations: [{key: "dev-couchdb-only", operator: "Equal", value: "true", effect: "NoSchedule"}]},
	api: resources: limits: memory: "2Gi", sentinel: resources: requests: cpu: "100m", haproxy: resources: limits: memory: "1Gi",
	healthcheck: {logLevel: "DEBUG", resources: requests: memory: "64Mi"},
	ingress: {provider: "alb", groupName: "dev-cht-alb", tags: "Environment=dev,Team=QA", certificateArn: "arn:aws:iam::720541322708:server-certificate/x"}}`

// settingsDifferences are the schema's settings Medic's charts have no value
// for, each a reviewed difference.
func settingsDifferences(e *model.Environment) []hc.Difference {
	out := []hc.Difference{
		hc.ResourcesSet,
		hc.EnvValue("COUCHDB_LOG_LEVEL", "notice", "couchdb.logLevel reaches COUCHDB_LOG_LEVEL; Medic's charts hard-code info"),
		hc.EnvAdded("HEALTHCHECK_LOG_LEVEL", "healthcheck.logLevel reaches HEALTHCHECK_LOG_LEVEL, which the healthcheck image reads (logger.py); Medic's charts set none"),
	}
	if e.Has(model.DefaultUlimitSwitch) {
		out = append(out, hc.EnvAdded("DEFAULT_ULIMIT", "couchdb.ulimit: DEFAULT_ULIMIT=true, which Medic's CouchDB image reads (4.20.0+, cht-core #9923) and Medic's charts never set"))
	}
	return out
}

// Each Kubernetes setting of the schema lands where the matching value of
// Medic's chart puts it (4.x: cht-chart-4x; 5.x: the version's own chart),
// up to the settings the charts have no value for (settingsDifferences).
func TestKustomize_SettingsMatchHelmTemplate(t *testing.T) {
	for _, version := range []string{"4.19.0", "4.22.0", "5.0.0", "5.1.0", "5.2.0"} {
		t.Run(version, func(t *testing.T) {
			envs := loadEnvs(t, fmt.Sprintf(kubernetesSettings, version))
			e := &envs[0]
			built, err := kustomize.Build(render(t, envs), kustomize.OverlayDir(e))
			if err != nil {
				t.Fatal(err)
			}
			common := []string{"--set", "namespace=" + e.Namespace, "--set-string", "cht_image_tag=" + e.ImageTag(), "--set-string", "couchdb.password=not-a-secret",
				"--set", "ingress.host=" + e.Host, "--set", "couchdb.couchdb_node_storage_size=100Mi", "--set", "cache_images=false",
				"--set", "upstream_servers.builds_url=" + e.Builds.URL(), "--set", "ingress.annotations.certificate=arn:aws:iam::720541322708:server-certificate/x"}
			diffs := append(append([]hc.Difference{}, hc.Common...), settingsDifferences(e)...)
			var medicYAML []byte
			if e.Has(model.CoreHelmChart) {
				_, chart := chart5(t, version)
				medicYAML = hc.Template(t, chart, e.Namespace, append([]string{"-f", filepath.Join(chart, "values", "base.yaml"),
					"-f", filepath.Join(chart, "values", "deployment-single.yaml"), "-f", filepath.Join(chart, "values", "platform-eks.yaml"),
					"--set", "couchdb_data.preExistingDataAvailable=false", "--set", "project_name=" + e.Name,
					"--set-string", "couchdb.secret=not-a-secret", "--set-string", "couchdb.uuid=not-a-secret", "--set", "couchdb.storage_class=ebs-gp2"}, common...)...)
				diffs = append(diffs, hc.Differences5(version, false)...)
			} else {
				_, chart := helmChart(t)
				medicYAML = hc.Template(t, chart, e.Namespace, append([]string{"--set", "cluster_type=eks"}, common...)...)
				diffs = append(diffs, hc.ExplicitRollingDefaults, hc.UpgradeServiceOff, hc.UpgradeServiceURLOff)
			}
			hc.Compare(t, hc.Decode(t, built), hc.Decode(t, medicYAML), diffs)
		})
	}
}
