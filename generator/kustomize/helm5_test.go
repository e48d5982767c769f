package kustomize_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/cht-gen/cht-gen/generator/kustomize"
)

// chart5 is Medic's chart of CHT version v (cht-core scripts/build/helm).
func chart5(t *testing.T, v string) (helm, chart string) {
	t.Helper()
	helm, err := exec.LookPath("helm")
	if err != nil {
		t.Skip("helm not on PATH (make test installs v3.22.0 into ./bin)")
	}
	chart = filepath.Join("..", "..", "..", "shared", "reference", "cht", "cht-core", v, "scripts", "build", "helm")
	if _, err := os.Stat(filepath.Join(chart, "Chart.yaml")); err != nil {
		t.Skipf("Medic's %s chart is not at %s (../shared/reference beside the repository): %v", v, chart, err)
	}
	return helm, chart
}

// TestKustomize_MatchesHelmTemplate5 builds 5.x overlays and compares them,
// object by object, with `helm template` of the same version's chart,
// given values files as Medic's validate-templates.sh combines them.
func TestKustomize_MatchesHelmTemplate5(t *testing.T) {
	for _, version := range []string{"5.0.0", "5.1.0", "5.2.0"} {
		for _, tc := range []struct {
			name   string
			env    string
			values []string // values files of the chart, then --set pairs
			diffs  []difference
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
			diffs: append(k3sNouveau50(version), k3sIngress, k3sAdmissionService),
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
			diffs: []difference{preExistingClaimRef},
		}, {
			name: "three nodes on k3s, existing host directories",
			env: `environments: dirs: {target: "kubernetes", version: "` + version + `", host: "dirs.example.org",
	couchdb: {nodes: 3, storage: {size: "100Mi", existing: hostPaths: ["/srv/couch1", "/srv/couch2", "/srv/couch3"]}, placement: nodes: ["k3s-a", "k3s-b", "k3s-c"]},
	ingress: {provider: "traefik", tlsSecretName: "api-tls-secret"}}`,
			values: []string{"-f", "values/deployment-multi.yaml", "-f", "values/platform-k3s-k3d.yaml", "--set", "couchdb_data.preExistingDataAvailable=true",
				"--set", "local_storage.preExistingDiskPath-1=/srv/couch1", "--set", "local_storage.preExistingDiskPath-2=/srv/couch2",
				"--set", "local_storage.preExistingDiskPath-3=/srv/couch3",
				"--set", "nodes.node-1=k3s-a", "--set", "nodes.node-2=k3s-b", "--set", "nodes.node-3=k3s-c"},
			diffs: append(k3sNouveau50(version), preExistingClaimRef, k3sIngress, k3sAdmissionService,
				difference{"Medic's 5.x k3s volumes are hostPath volumes of class local-path while their claims ask for class \"\", so Kubernetes never binds them; cht-gen keeps cht-chart-4x's local volumes, of the claims' class and pinned to each CouchDB node, so a node's directory is only ever used by its CouchDB", func(ours, medic map[string]object) bool {
					found := false
					for k, o := range ours {
						pv, ok := o.(*corev1.PersistentVolume)
						m, ok2 := medic[k].(*corev1.PersistentVolume)
						if !ok || !ok2 || pv.Spec.Local == nil || m.Spec.HostPath == nil || m.Spec.HostPath.Path != pv.Spec.Local.Path || m.Spec.StorageClassName != "local-path" {
							continue
						}
						m.Spec.PersistentVolumeSource, m.Spec.StorageClassName, m.Spec.NodeAffinity = pv.Spec.PersistentVolumeSource, pv.Spec.StorageClassName, pv.Spec.NodeAffinity
						found = true
					}
					return found
				}},
			),
		}} {
			t.Run(version+"/"+tc.name, func(t *testing.T) {
				helm, chart := chart5(t, version)
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
				diffs := append(append([]difference{}, differences5(version, e.CouchDB.Clustered())...), tc.diffs...)
				compareWithChart(t, decodeAll(t, built), decodeAll(t, medicYAML), diffs)
			})
		}
	}
}

// differences5 are the reviewed differences every 5.x overlay of version has.
func differences5(version string, clustered bool) []difference {
	var out []difference
	if version == "5.0.0" {
		couchdb := "Deployment/cht-couchdb"
		if clustered {
			couchdb += "-"
		}
		out = append(out,
			difference{"Medic's 5.0.0 chart rolls CouchDB out with RollingUpdate, which starts a second CouchDB on the same ReadWriteOnce volume before stopping the first; cht-gen keeps Recreate (cht-chart-4x, and Medic's own chart from 5.1.0)", func(ours, medic map[string]object) bool {
				found := false
				for k, o := range medic {
					d, ok := o.(*appsv1.Deployment)
					our, has := ours[k].(*appsv1.Deployment)
					if ok && has && strings.HasPrefix(k, couchdb) && d.Spec.Strategy.Type == appsv1.RollingUpdateDeploymentStrategyType &&
						our.Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType {
						our.Spec.Strategy.Type = appsv1.RollingUpdateDeploymentStrategyType
						found = true
					}
				}
				return found
			}},
			difference{"nouveau shares CouchDB's ReadWriteOnce claim: cht-gen requires its pod on CouchDB's node, where Medic's 5.0.0 chart lets it land where the claim cannot attach (5.1.0 moved it into the CouchDB pod)", func(ours, _ map[string]object) bool {
				d, ok := ours["Deployment/cht-couchdb-nouveau"].(*appsv1.Deployment)
				if !ok || d.Spec.Template.Spec.Affinity == nil || d.Spec.Template.Spec.Affinity.PodAffinity == nil {
					return false
				}
				d.Spec.Template.Spec.Affinity = nil
				return true
			}},
		)
	}
	return out
}

var preExistingClaimRef = difference{"pre-existing volumes carry a claimRef so no other claim can take a volume holding CouchDB data", func(ours, _ map[string]object) bool {
	found := false
	for _, o := range ours {
		if pv, ok := o.(*corev1.PersistentVolume); ok && pv.Spec.ClaimRef != nil {
			pv.Spec.ClaimRef = nil
			found = true
		}
	}
	return found
}}

// k3sNouveau50 is the reviewed difference of a 5.0.0 environment on k3s.
func k3sNouveau50(version string) []difference {
	if version != "5.0.0" {
		return nil
	}
	return []difference{{"on k3s Medic's 5.0.0 nouveau mounts host directory local_storage.preExistingDiskPath-1 (/var/lib/couchdb1 by default) on whichever node it lands; cht-gen mounts CouchDB's claim (node 1's) like on every other platform, so the index stays with the data it indexes", func(ours, medic map[string]object) bool {
		m, ok1 := medic["Deployment/cht-couchdb-nouveau"].(*appsv1.Deployment)
		o, ok2 := ours["Deployment/cht-couchdb-nouveau"].(*appsv1.Deployment)
		if !ok1 || !ok2 || len(m.Spec.Template.Spec.Volumes) != 1 || m.Spec.Template.Spec.Volumes[0].HostPath == nil {
			return false
		}
		m.Spec.Template.Spec.Volumes = o.Spec.Template.Spec.Volumes
		m.Spec.Template.Spec.Containers[0].VolumeMounts[0].Name = o.Spec.Template.Spec.Volumes[0].Name
		return true
	}}}
}

var k3sIngress = difference{"Medic's k3s Ingress routes every host without TLS (a local-cluster convenience); cht-gen routes only the environment's host, with its TLS Secret and class, so environments sharing a cluster do not take each other's traffic", func(ours, medic map[string]object) bool {
	o, ok1 := ours["Ingress/api-ingress"].(*networkingv1.Ingress)
	m, ok2 := medic["Ingress/api-ingress"].(*networkingv1.Ingress)
	if !ok1 || !ok2 || m.Spec.TLS != nil || len(m.Spec.Rules) != 1 || m.Spec.Rules[0].Host != "" || o.Spec.TLS == nil {
		return false
	}
	o.Spec.TLS, o.Spec.IngressClassName, o.Spec.Rules[0].Host = nil, nil, ""
	return true
}}

var k3sAdmissionService = difference{"Medic's k3s values (environment: local) add Service ingress-nginx-controller-admission, which the chart says is only for local development and CI; cht-gen renders no CI objects", onlyIn(medicSet, "Service/ingress-nginx-controller-admission")}
