package kustomize_test

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/cht-gen/cht-gen/generator/kustomize"
	hc "github.com/cht-gen/cht-gen/internal/helmcompare"
	"github.com/cht-gen/cht-gen/internal/reference"
)

// chart5 is Medic's chart of CHT version v (cht-core scripts/build/helm).
func chart5(t *testing.T, v string) (helm, chart string) {
	t.Helper()
	helm, err := exec.LookPath("helm")
	if err != nil {
		t.Skip("helm not on PATH (make test installs v3.22.0 into ./bin)")
	}
	return helm, reference.Path(t, "cht", "cht-core", v, "scripts", "build", "helm")
}

// TestKustomize_MatchesHelmTemplate5 builds 5.x overlays and compares them,
// object by object, with `helm template` of the same version's chart,
// given values files as Medic's validate-templates.sh combines them.
func TestKustomize_MatchesHelmTemplate5(t *testing.T) {
	for _, vc := range []struct{ version, chart string }{
		{"5.0.0", "5.0.0"},
		// cht-core's scripts/build/helm templates are the same from 5.0.1
		// to 5.1.3 (only values/platform-eks.yaml's default certificate
		// changed): a 5.0.1 environment renders as the 5.1.0 chart.
		{"5.0.1", "5.1.0"},
		{"5.1.0", "5.1.0"},
		{"5.2.0", "5.2.0"},
		// Medic's published cht-chart-5.3.0 (a nouveau per CouchDB node on a
		// cluster). 5.3.1's chart could not be read here (SOURCES.md); its
		// release changed no hosting file cht-gen knows of, so a 5.3.1
		// environment renders as the 5.3.0 chart with 5.3.1's images.
		{"5.3.0", "5.3.0"},
		{"5.3.1", "5.3.0"},
	} {
		version := vc.version
		for _, tc := range []struct {
			name   string
			env    string
			values []string // values files of the chart, then --set pairs
			diffs  []hc.Difference
		}{{
			name: "one node on EKS, ALB, gp2 claim",
			env: `environments: one: {target: "kubernetes", version: "` + version + `", host: "one.example.org",
	couchdb: {storage: {size: "100Mi", class: "ebs-gp2"}, placement: {tolerations: [{key: "dev-couchdb-only", operator: "Equal", value: "true", effect: "NoSchedule"}]}},
	ingress: {provider: "alb", groupName: "dev-cht-alb", tags: "Environment=dev,Team=QA", certificateArn: "arn:aws:iam::720541322708:server-certificate/x"}}`,
			// Medic's deployment-single.yaml sets preExistingDataAvailable to
			// the string "false", which the claim template reads as true
			// (volumeName couchdb-pv-<ns>, a volume it never renders): the
			// environment has no existing volume, so the values say false.
			values: []string{"-f", "values/deployment-single.yaml", "-f", "values/platform-eks.yaml", "--set", "couchdb_data.preExistingDataAvailable=false",
				"--set", "ingress.annotations.certificate=arn:aws:iam::720541322708:server-certificate/x"},
		}, {
			name: "three nodes on k3s, local-path claims, node placement",
			env: `environments: three: {target: "kubernetes", version: "` + version + `", host: "three.example.org", alwaysPullImages: true,
	couchdb: {nodes: 3, storage: {size: "100Mi", class: "local-path"}, placement: nodes: ["k3s-a", "k3s-b", "k3s-c"]},
	ingress: {provider: "traefik", tlsSecretName: "api-tls-secret"}}`,
			values: []string{"-f", "values/deployment-multi.yaml", "-f", "values/platform-k3s-k3d.yaml", "--set", "cache_images=false",
				"--set", "nodes.node-1=k3s-a", "--set", "nodes.node-2=k3s-b", "--set", "nodes.node-3=k3s-c"},
			diffs: hc.K3s5(version),
		}, {
			name: "one node on GKE, pinned to a node, GCE ingress, standard-rwo claim",
			env: `environments: gke: {target: "kubernetes", version: "` + version + `", host: "gke.example.org",
	couchdb: {storage: {size: "100Mi", class: "standard-rwo"}, placement: nodes: ["gke-a"]},
	ingress: {provider: "gke", staticIPName: "cht-api-ip", managedCertificate: "cht-api-cert"}}`,
			values: []string{"-f", "values/deployment-single.yaml", "-f", "values/platform-gke.yaml", "--set", "couchdb_data.preExistingDataAvailable=false",
				"--set-json", `nodes={"single_node_deploy": "gke-a"}`}, // the values file's nodes: is null
		}, {
			name: "three nodes on EKS, existing EBS volumes, CouchDB data in subfolder couchdb",
			env: `environments: ebs: {target: "kubernetes", version: "` + version + `", host: "ebs.example.org",
	couchdb: {nodes: 3, storage: {size: "100Mi", subPath: "couchdb", existing: ebsVolumeIDs: ["vol-0a1", "vol-0b2", "vol-0c3"]},
		placement: {nodes: ["eks-a", "eks-b", "eks-c"], tolerations: [{key: "dev-couchdb-only", operator: "Equal", value: "true", effect: "NoSchedule"}]}},
	ingress: {provider: "alb", groupName: "dev-cht-alb", tags: "Environment=dev,Team=QA", certificateArn: "arn:aws:iam::720541322708:server-certificate/x"}}`,
			values: []string{"-f", "values/deployment-multi.yaml", "-f", "values/platform-eks.yaml",
				"--set", "ingress.annotations.certificate=arn:aws:iam::720541322708:server-certificate/x",
				"--set", "couchdb_data.preExistingDataAvailable=true", "--set", "couchdb_data.dataPathOnDiskForCouchDB=couchdb",
				"--set", "ebs.preExistingEBSVolumeSize=100Mi", "--set", "ebs.preExistingEBSVolumeID-1=vol-0a1",
				"--set", "ebs.preExistingEBSVolumeID-2=vol-0b2", "--set", "ebs.preExistingEBSVolumeID-3=vol-0c3",
				"--set", "nodes.node-1=eks-a", "--set", "nodes.node-2=eks-b", "--set", "nodes.node-3=eks-c"},
			diffs: []hc.Difference{hc.ClaimRef},
		}, {
			name: "three nodes on k3s, existing host directories",
			env: `environments: dirs: {target: "kubernetes", version: "` + version + `", host: "dirs.example.org",
	couchdb: {nodes: 3, storage: {size: "100Mi", existing: hostPaths: ["/srv/couch1", "/srv/couch2", "/srv/couch3"]}, placement: nodes: ["k3s-a", "k3s-b", "k3s-c"]},
	ingress: {provider: "traefik", tlsSecretName: "api-tls-secret"}}`,
			values: []string{"-f", "values/deployment-multi.yaml", "-f", "values/platform-k3s-k3d.yaml", "--set", "couchdb_data.preExistingDataAvailable=true",
				"--set", "local_storage.preExistingDiskPath-1=/srv/couch1", "--set", "local_storage.preExistingDiskPath-2=/srv/couch2",
				"--set", "local_storage.preExistingDiskPath-3=/srv/couch3",
				"--set", "nodes.node-1=k3s-a", "--set", "nodes.node-2=k3s-b", "--set", "nodes.node-3=k3s-c"},
			diffs: append(hc.K3s5(version), hc.ClaimRef, hc.K3sHostPathVolumes),
		}, {
			name: "three nodes on GKE, standard-rwo claims, GCE ingress",
			env: `environments: gkec: {target: "kubernetes", version: "` + version + `", host: "gkec.example.org",
	couchdb: {nodes: 3, storage: {size: "100Mi", class: "standard-rwo"}, placement: nodes: ["gke-a", "gke-b", "gke-c"]},
	ingress: {provider: "gke", staticIPName: "cht-api-ip", managedCertificate: "cht-api-cert"}}`,
			values: []string{"-f", "values/deployment-multi.yaml", "-f", "values/platform-gke.yaml",
				"--set", "nodes.node-1=gke-a", "--set", "nodes.node-2=gke-b", "--set", "nodes.node-3=gke-c"},
		}, {
			name: "five nodes on EKS, gp2 claims, node placement",
			env: `environments: five: {target: "kubernetes", version: "` + version + `", host: "five.example.org",
	couchdb: {nodes: 5, storage: {size: "100Mi", class: "ebs-gp2"}, placement: {nodes: ["eks-a", "eks-b", "eks-c", "eks-d", "eks-e"], tolerations: [{key: "dev-couchdb-only", operator: "Equal", value: "true", effect: "NoSchedule"}]}},
	ingress: {provider: "alb", groupName: "dev-cht-alb", tags: "Environment=dev,Team=QA", certificateArn: "arn:aws:iam::720541322708:server-certificate/x"}}`,
			values: []string{"-f", "values/deployment-multi.yaml", "-f", "values/platform-eks.yaml", "--set", "clusteredCouch.noOfCouchDBNodes=5",
				"--set", "ingress.annotations.certificate=arn:aws:iam::720541322708:server-certificate/x",
				"--set", "nodes.node-1=eks-a", "--set", "nodes.node-2=eks-b", "--set", "nodes.node-3=eks-c", "--set", "nodes.node-4=eks-d", "--set", "nodes.node-5=eks-e"},
		}, {
			name: "one node on k3s, existing host directory",
			env: `environments: dir: {target: "kubernetes", version: "` + version + `", host: "dir.example.org",
	couchdb: {storage: {size: "100Mi", existing: hostPaths: ["/srv/couch"]}, placement: nodes: ["k3s-a"]},
	ingress: {provider: "traefik", tlsSecretName: "api-tls-secret"}}`,
			values: []string{"-f", "values/deployment-single.yaml", "-f", "values/platform-k3s-k3d.yaml", "--set", "couchdb_data.preExistingDataAvailable=true",
				"--set", "local_storage.preExistingDiskPath-1=/srv/couch", "--set-json", `nodes={"single_node_deploy": "k3s-a"}`},
			diffs: append(hc.K3s5(version), hc.ClaimRef, hc.K3sHostPathVolumes),
		}} {
			t.Run(version+"/"+tc.name, func(t *testing.T) {
				helm, chart := chart5(t, vc.chart)
				envs := loadEnvs(t, tc.env)
				e := &envs[0]
				set := render(t, envs)
				built, err := kustomize.Build(set, kustomize.OverlayDir(e))
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
