package helmcompare

import (
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// The reviewed differences between cht-gen's 5.x overlays and Medic's 5.x
// chart (cht-core scripts/build/helm). generator/kustomize's conformance
// test and the import round trip (generator/importer) both compare with
// these, so there is one list.

// Differences5 are the reviewed differences every 5.x overlay of version
// has (clustered: CouchDB runs as cht-couchdb-N).
func Differences5(version string, clustered bool) []Difference {
	if version != "5.0.0" {
		return nil
	}
	couchdb := "Deployment/cht-couchdb"
	if clustered {
		couchdb += "-"
	}
	return []Difference{
		ExplicitRollingDefaults,
		{Why: "Medic's 5.0.0 chart rolls CouchDB out with RollingUpdate, which starts a second CouchDB on the same ReadWriteOnce volume before stopping the first; cht-gen keeps Recreate (cht-chart-4x, and Medic's own chart from 5.0.1)", Apply: func(ours, medic Objects) bool {
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
		{Why: "nouveau shares CouchDB's ReadWriteOnce claim: cht-gen requires its pod on CouchDB's node, where Medic's 5.0.0 chart lets it land where the claim cannot attach (5.0.1 moved it into the CouchDB pod)", Apply: func(ours, _ Objects) bool {
			d, ok := ours["Deployment/cht-couchdb-nouveau"].(*appsv1.Deployment)
			if !ok || d.Spec.Template.Spec.Affinity == nil || d.Spec.Template.Spec.Affinity.PodAffinity == nil {
				return false
			}
			d.Spec.Template.Spec.Affinity = nil
			return true
		}},
	}
}

// K3s5 are the reviewed differences of a 5.x environment of version on
// k3s-k3d (Medic's values/platform-k3s-k3d.yaml).
func K3s5(version string) []Difference {
	out := []Difference{K3sIngress, K3sAdmissionService}
	if version == "5.0.0" {
		out = append(out, Difference{Why: "on k3s Medic's 5.0.0 nouveau mounts host directory local_storage.preExistingDiskPath-1 (/var/lib/couchdb1 by default) on whichever node it lands; cht-gen mounts CouchDB's claim (node 1's) like on every other platform, so the index stays with the data it indexes", Apply: func(ours, medic Objects) bool {
			m, ok1 := medic["Deployment/cht-couchdb-nouveau"].(*appsv1.Deployment)
			o, ok2 := ours["Deployment/cht-couchdb-nouveau"].(*appsv1.Deployment)
			if !ok1 || !ok2 || len(m.Spec.Template.Spec.Volumes) != 1 || m.Spec.Template.Spec.Volumes[0].HostPath == nil {
				return false
			}
			m.Spec.Template.Spec.Volumes = o.Spec.Template.Spec.Volumes
			m.Spec.Template.Spec.Containers[0].VolumeMounts[0].Name = o.Spec.Template.Spec.Volumes[0].Name
			return true
		}})
	}
	return out
}

// K3sIngress: Medic's k3s Ingress is a local-cluster convenience.
var K3sIngress = Difference{Why: "Medic's k3s Ingress routes every host without TLS (a local-cluster convenience); cht-gen routes only the environment's host, with its TLS Secret and class, so environments sharing a cluster do not take each other's traffic", Apply: func(ours, medic Objects) bool {
	o, ok1 := ours["Ingress/api-ingress"].(*networkingv1.Ingress)
	m, ok2 := medic["Ingress/api-ingress"].(*networkingv1.Ingress)
	if !ok1 || !ok2 || m.Spec.TLS != nil || len(m.Spec.Rules) != 1 || m.Spec.Rules[0].Host != "" || o.Spec.TLS == nil {
		return false
	}
	o.Spec.TLS, o.Spec.IngressClassName, o.Spec.Rules[0].Host = nil, nil, ""
	return true
}}

// K3sAdmissionService: a CI-only object of Medic's k3s values.
var K3sAdmissionService = Difference{Why: "Medic's k3s values (environment: local) add Service ingress-nginx-controller-admission, which the chart says is only for local development and CI; cht-gen renders no CI objects", Apply: OnlyIn(Medic, "Service/ingress-nginx-controller-admission")}

// K3sHostPathVolumes: Medic's 5.x pre-existing k3s volumes never bind.
var K3sHostPathVolumes = Difference{Why: "Medic's 5.x k3s volumes are hostPath volumes of class local-path while their claims ask for class \"\", so Kubernetes never binds them; cht-gen keeps cht-chart-4x's local volumes, of the claims' class and pinned to each CouchDB node, so a node's directory is only ever used by its CouchDB", Apply: func(ours, medic Objects) bool {
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
}}
