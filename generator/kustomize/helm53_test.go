package kustomize_test

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cht-gen/cht-gen/generator/kustomize"
	hc "github.com/cht-gen/cht-gen/internal/helmcompare"
)

// TestKustomize_MatchesHelmTemplate53Settings compares 5.3 overlays with
// Medic's 5.3.0 chart for settings TestKustomize_MatchesHelmTemplate5 does
// not cover: clusters of 2, 4 and 7 nodes (a nouveau per node), a custom
// namespace, subPath with %d, no subPath on partitioned EBS volumes, a
// registry mirror and resources. Any difference not listed is a bug.
func TestKustomize_MatchesHelmTemplate53Settings(t *testing.T) {
	tol := `tolerations: [{key: "dev-couchdb-only", operator: "Equal", value: "true", effect: "NoSchedule"}]`
	alb := `{provider: "alb", groupName: "g", tags: "T=1", certificateArn: "arn:aws:iam::1:server-certificate/x"}`
	albSet := []string{"-f", "values/platform-eks.yaml", "--set", "ingress.annotations.certificate=arn:aws:iam::1:server-certificate/x",
		"--set", "ingress.annotations.groupname=g", "--set", "ingress.annotations.tags=T=1"}
	nodes := func(prefix string, n int) (cue string, set []string) {
		var names []string
		for i := 1; i <= n; i++ {
			names = append(names, fmt.Sprintf("%q", fmt.Sprintf("%s-%d", prefix, i)))
			set = append(set, "--set", fmt.Sprintf("nodes.node-%d=%s-%d", i, prefix, i))
		}
		if n < 3 { // the chart requires node-1..3 whatever the count
			set = append(set, "--set", "nodes.node-3=unused")
		}
		return "[" + strings.Join(names, ", ") + "]", set
	}
	n2, s2 := nodes("eks", 2)
	n4, s4 := nodes("gke", 4)
	n7, s7 := nodes("k3s", 7)
	var hostPaths []string
	for i := 1; i <= 7; i++ {
		hostPaths = append(hostPaths, fmt.Sprintf(`"/srv/c%d"`, i))
		s7 = append(s7, "--set", fmt.Sprintf("local_storage.preExistingDiskPath-%d=/srv/c%d", i, i))
	}
	for _, version := range []string{"5.3.0", "5.3.1"} {
		for _, tc := range []struct {
			name   string
			env    string
			values []string
			diffs  []hc.Difference
		}{{
			name: "two nodes on EKS, namespace moh-two",
			env: `environments: two: {target: "kubernetes", version: "` + version + `", host: "two.example.org", namespace: "moh-two",
	couchdb: {nodes: 2, storage: {size: "100Mi", class: "ebs-gp2"}, placement: {nodes: ` + n2 + `, ` + tol + `}}, ingress: ` + alb + `}`,
			values: append(append([]string{"-f", "values/deployment-multi.yaml", "--set", "clusteredCouch.noOfCouchDBNodes=2"}, albSet...), s2...),
		}, {
			name: "four nodes on GKE, subPath couch%d",
			env: `environments: four: {target: "kubernetes", version: "` + version + `", host: "four.example.org",
	couchdb: {nodes: 4, storage: {size: "100Mi", class: "standard-rwo", subPath: "couch%d"}, placement: nodes: ` + n4 + `},
	ingress: {provider: "gke", staticIPName: "cht-api-ip", managedCertificate: "cht-api-cert"}}`,
			values: append([]string{"-f", "values/deployment-multi.yaml", "-f", "values/platform-gke.yaml", "--set", "clusteredCouch.noOfCouchDBNodes=4",
				"--set", "couchdb_data.dataPathOnDiskForCouchDB=couch%d"}, s4...),
		}, {
			name: "seven nodes on k3s, existing host directories",
			env: `environments: seven: {target: "kubernetes", version: "` + version + `", host: "seven.example.org",
	couchdb: {nodes: 7, storage: {size: "100Mi", existing: hostPaths: [` + strings.Join(hostPaths, ", ") + `]}, placement: nodes: ` + n7 + `},
	ingress: {provider: "traefik", tlsSecretName: "api-tls-secret"}}`,
			values: append([]string{"-f", "values/deployment-multi.yaml", "-f", "values/platform-k3s-k3d.yaml", "--set", "clusteredCouch.noOfCouchDBNodes=7",
				"--set", "couchdb_data.preExistingDataAvailable=true"}, s7...),
			diffs: append(hc.K3s5(version), hc.ClaimRef, hc.K3sHostPathVolumes),
		}, {
			name: "three nodes on EKS, partitioned EBS volumes, no subPath",
			env: `environments: ebs: {target: "kubernetes", version: "` + version + `", host: "ebs.example.org",
	couchdb: {nodes: 3, storage: {size: "100Mi", subPath: "", existing: {ebsVolumeIDs: ["vol-0a1", "vol-0b2", "vol-0c3"], partition: 2}},
		placement: {nodes: ["eks-1", "eks-2", "eks-3"], ` + tol + `}}, ingress: ` + alb + `}`,
			values: append([]string{"-f", "values/deployment-multi.yaml", "--set", "couchdb_data.preExistingDataAvailable=true",
				"--set", "couchdb_data.dataPathOnDiskForCouchDB=", "--set", "couchdb_data.partition=2", "--set", "ebs.preExistingEBSVolumeSize=100Mi",
				"--set", "ebs.preExistingEBSVolumeID-1=vol-0a1", "--set", "ebs.preExistingEBSVolumeID-2=vol-0b2", "--set", "ebs.preExistingEBSVolumeID-3=vol-0c3",
				"--set", "nodes.node-1=eks-1", "--set", "nodes.node-2=eks-2", "--set", "nodes.node-3=eks-3"}, albSet...),
			diffs: []hc.Difference{hc.ClaimRef},
		}, {
			name: "one node on EKS, registry mirror, subPath srv/couchdb, resources",
			env: `environments: one: {target: "kubernetes", version: "` + version + `", host: "one.example.org", registry: "mirror.example.org:5000/medic",
	couchdb: {storage: {size: "100Mi", class: "ebs-gp2", subPath: "srv/couchdb"}, resources: {requests: {cpu: "1", memory: "2Gi"}, limits: memory: "4Gi"}, placement: {` + tol + `}},
	api: resources: requests: memory: "512Mi", ingress: ` + alb + `}`,
			values: append([]string{"-f", "values/deployment-single.yaml", "--set", "couchdb_data.preExistingDataAvailable=false",
				"--set", "upstream_servers.docker_registry=mirror.example.org:5000/medic", "--set", "couchdb_data.dataPathOnDiskForCouchDB=srv/couchdb"}, albSet...),
			diffs: []hc.Difference{hc.ResourcesSet},
		}} {
			t.Run(version+"/"+tc.name, func(t *testing.T) {
				helm, chart := chart5(t, "5.3.0")
				envs := loadEnvs(t, tc.env)
				e := &envs[0]
				built, err := kustomize.Build(render(t, envs), kustomize.OverlayDir(e))
				if err != nil {
					t.Fatal(err)
				}
				args := []string{"template", "cht", chart, "--namespace", e.Namespace, "-f", filepath.Join(chart, "values", "base.yaml")}
				for i, v := range tc.values {
					if i > 0 && tc.values[i-1] == "-f" {
						v = filepath.Join(chart, v)
					}
					args = append(args, v)
				}
				args = append(args, "--set", "namespace="+e.Namespace, "--set", "project_name="+e.Name, "--set", "cht_image_tag="+e.Version,
					"--set-string", "couchdb.password=not-a-secret", "--set-string", "couchdb.secret=not-a-secret", "--set-string", "couchdb.uuid=not-a-secret",
					"--set", "ingress.host="+e.Host, "--set", "couchdb.couchdb_node_storage_size=100Mi", "--set", "couchdb.storage_class="+e.CouchDB.Storage.Class)
				medicYAML, err := exec.Command(helm, args...).CombinedOutput()
				if err != nil {
					t.Fatalf("helm template: %v\n%s", err, medicYAML)
				}
				diffs := append(append(append([]hc.Difference{}, hc.Common...), hc.Differences5(version, e.CouchDB.Clustered())...), tc.diffs...)
				hc.Compare(t, hc.Decode(t, built), hc.Decode(t, medicYAML), diffs)
			})
		}
	}
}
