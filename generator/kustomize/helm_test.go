package kustomize_test

import (
	"os/exec"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/cht-gen/cht-gen/generator/kustomize"
	hc "github.com/cht-gen/cht-gen/internal/helmcompare"
	"github.com/cht-gen/cht-gen/internal/reference"
)

func helmChart(t *testing.T) (helm, chart string) {
	t.Helper()
	helm, err := exec.LookPath("helm")
	if err != nil {
		t.Skip("helm not on PATH (make test installs v3.22.0 into ./bin)")
	}
	return helm, reference.Path(t, "cht", "helm-charts", "charts", "cht-chart-4x")
}

var upgradeServiceDifferences = []hc.Difference{
	{Why: "kustomize fills the namespace of the upgrade service's RoleBinding subject; the API server defaults it to the same namespace for Medic's", Apply: func(ours, _ hc.Objects) bool {
		rb, ok := ours["RoleBinding/deployment-manager-cht"].(*rbacv1.RoleBinding)
		if !ok || len(rb.Subjects) != 1 {
			return false
		}
		had := rb.Subjects[0].Namespace != ""
		rb.Subjects[0].Namespace = ""
		return had
	}},
}

// versions4x are the 4.x releases the conformance test renders against
// cht-chart-4x (one chart for the whole line; the images follow
// cht_image_tag and docker_registry), across the line: the first, the
// first in Medic's registry, 4.5.0 (the upgrade path), 4.10.0, and the last two.
var versions4x = []string{"4.0.0", "4.2.0", "4.5.0", "4.10.0", "4.21.1", "4.22.0"}

func TestKustomize_MatchesHelmTemplate(t *testing.T) {
	helm, chart := helmChart(t)
	toleration := `tolerations: [{key: "dev-couchdb-only", operator: "Equal", value: "true", effect: "NoSchedule"}]`
	for _, version := range versions4x {
		for _, tc := range []struct {
			name   string
			env    string
			values []string
			diffs  []hc.Difference
		}{{
			name: "one node on EKS, ALB, gp2 claim",
			env: `environments: one: {target: "kubernetes", version: "` + version + `", host: "one.example.org", upgradeService: enabled: true,
	couchdb: {storage: {size: "100Mi", class: "ebs-gp2"}, placement: {` + toleration + `}},
	ingress: {provider: "alb", groupName: "dev-cht-alb", tags: "Environment=dev,Team=QA", certificateArn: "arn:aws:iam::720541322708:server-certificate/x"}}`,
			values: []string{"cluster_type=eks", "ingress.annotations.certificate=arn:aws:iam::720541322708:server-certificate/x"},
		}, {
			name: "three nodes on k3s, local volumes, node placement",
			env: `environments: three: {target: "kubernetes", version: "` + version + `", host: "three.example.org", upgradeService: enabled: true, alwaysPullImages: true,
	couchdb: {nodes: 3, storage: {size: "100Mi", class: "local-storage", existing: hostPaths: ["/var/lib/cht-three-couchdb1", "/var/lib/cht-three-couchdb2", "/var/lib/cht-three-couchdb3"]},
		placement: {nodes: ["k3s-a", "k3s-b", "k3s-c"], ` + toleration + `}},
	ingress: {provider: "traefik", tlsSecretName: "api-tls-secret"}}`,
			values: []string{"cluster_type=k3s-k3d", "couchdb.clusteredCouch_enabled=true", "clusteredCouch.noOfCouchDBNodes=3",
				"nodes.node-1=k3s-a", "nodes.node-2=k3s-b", "nodes.node-3=k3s-c", "cache_images=false"},
			diffs: hc.K3s4x,
		}, {
			name: "three nodes on EKS, gp2 claims",
			env: `environments: claims: {target: "kubernetes", version: "` + version + `", host: "claims.example.org", upgradeService: enabled: true,
	couchdb: {nodes: 3, storage: {size: "100Mi", class: "ebs-gp2"}, placement: {nodes: ["eks-a", "eks-b", "eks-c"], ` + toleration + `}},
	ingress: {provider: "alb", groupName: "dev-cht-alb", tags: "Environment=dev,Team=QA", certificateArn: "arn:aws:iam::720541322708:server-certificate/x"}}`,
			values: []string{"cluster_type=eks", "couchdb.clusteredCouch_enabled=true", "clusteredCouch.noOfCouchDBNodes=3",
				"nodes.node-1=eks-a", "nodes.node-2=eks-b", "nodes.node-3=eks-c", "ingress.annotations.certificate=arn:aws:iam::720541322708:server-certificate/x"},
		}, {
			name: "one node on EKS, existing EBS volume on partition 1, data in subfolder couchdb",
			env: `environments: ebs: {target: "kubernetes", version: "` + version + `", host: "ebs.example.org", upgradeService: enabled: true,
	couchdb: {storage: {size: "100Mi", subPath: "couchdb", existing: {ebsVolumeIDs: ["vol-0a1"], partition: 1}}, placement: {` + toleration + `}},
	ingress: {provider: "alb", groupName: "dev-cht-alb", tags: "Environment=dev,Team=QA", certificateArn: "arn:aws:iam::720541322708:server-certificate/x"}}`,
			values: []string{"cluster_type=eks", "couchdb_data.preExistingDataAvailable=true", "couchdb_data.dataPathOnDiskForCouchDB=couchdb",
				"couchdb_data.partition=1", "ebs.preExistingEBSVolumeID-1=vol-0a1", "ebs.preExistingEBSVolumeSize=100Mi",
				"ingress.annotations.certificate=arn:aws:iam::720541322708:server-certificate/x"},
			diffs: []hc.Difference{hc.ClaimRef},
		}, {
			name: "one node on k3s, existing host directory",
			env: `environments: dir: {target: "kubernetes", version: "` + version + `", host: "dir.example.org", upgradeService: enabled: true,
	couchdb: {storage: {size: "100Mi", class: "local-storage", existing: hostPaths: ["/srv/couch"]}, placement: {nodes: ["k3s-a"], ` + toleration + `}},
	ingress: {provider: "traefik", tlsSecretName: "api-tls-secret"}}`,
			values: []string{"cluster_type=k3s-k3d", "couchdb_data.preExistingDataAvailable=true", "local_storage.preExistingDiskPath-1=/srv/couch",
				"nodes.single_node_deploy=k3s-a"},
			diffs: []hc.Difference{hc.K3sSingleHostPath, hc.TraefikClass},
		}} {
			t.Run(version+"/"+tc.name, func(t *testing.T) {
				envs := loadEnvs(t, tc.env)
				e := &envs[0]
				set := render(t, envs)
				built, err := kustomize.Build(set, kustomize.OverlayDir(e))
				if err != nil {
					t.Fatal(err)
				}
				args := []string{"template", "cht", chart, "--namespace", e.Namespace,
					"--set", "namespace=" + e.Namespace, "--set-string", "cht_image_tag=" + e.ImageTag(), "--set", "upstream_servers.docker_registry=" + e.ImageRegistry(),
					"--set-string", "couchdb.password=not-a-secret", "--set", "ingress.host=" + e.Host,
					"--set", "couchdb.couchdb_node_storage_size=100Mi"}
				for _, v := range tc.values {
					args = append(args, "--set", v)
				}
				medicYAML, err := exec.Command(helm, args...).Output()
				if err != nil {
					t.Fatalf("helm template: %v", err)
				}
				diffs := append(append([]hc.Difference{}, upgradeServiceDifferences...), tc.diffs...)
				hc.Compare(t, hc.Decode(t, built), hc.Decode(t, medicYAML), append(append([]hc.Difference{hc.ExplicitRollingDefaults}, hc.Common...), diffs...))
			})
		}
	}
}
