package helmcompare

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// The reviewed differences between cht-gen's 4.x overlays on k3s-k3d and
// Medic's cht-chart-4x, shared by generator/kustomize's conformance test
// and the import round trip.

// HostPathJobs: the chart's helm hooks that make the volumes' folders.
var HostPathJobs = Difference{Why: "the chart's helm-hook Jobs make /var/lib/<ns>-couchdbN on each node; GitOps engines do not run helm hooks, so the README of a hostPath environment asks for the directories instead", Apply: OnlyIn(Medic, "Job/create-directory-")}

// TraefikClass: the Ingress names its class.
var TraefikClass = Difference{Why: "the Ingress names its class (traefik) instead of relying on the cluster's default class", Apply: func(ours, _ Objects) bool {
	in, ok := ours["Ingress/api-ingress"].(*networkingv1.Ingress)
	if !ok || in.Spec.IngressClassName == nil {
		return false
	}
	in.Spec.IngressClassName = nil
	return true
}}

// K3s4x are the reviewed differences of a 4.x environment on k3s-k3d with
// the chart's volumes (local volumes at /var/lib/<ns>-couchdbN).
var K3s4x = []Difference{HostPathJobs, ClaimRef, TraefikClass}

// K3sSingleHostPath: a single node's pre-existing directory on k3s.
var K3sSingleHostPath = Difference{Why: "cht-chart-4x mounts a single node's pre-existing directory (local_storage.preExistingDiskPath-1) into the CouchDB pod as a hostPath volume; cht-gen renders a local PersistentVolume of the same directory, pinned to the same node, and its claim, as for clusters: the same folder, kept by Retain, claimRef and prune protection, and a pod that cannot start on another node", Apply: func(ours, medic Objects) bool {
	m, ok1 := medic["Deployment/cht-couchdb"].(*appsv1.Deployment)
	o, ok2 := ours["Deployment/cht-couchdb"].(*appsv1.Deployment)
	if !ok1 || !ok2 || len(m.Spec.Template.Spec.Volumes) != 1 || m.Spec.Template.Spec.Volumes[0].HostPath == nil || len(o.Spec.Template.Spec.Volumes) != 1 {
		return false
	}
	path := m.Spec.Template.Spec.Volumes[0].HostPath.Path
	var pvKey string
	for k, obj := range ours {
		if pv, ok := obj.(*corev1.PersistentVolume); ok && pv.Spec.Local != nil && pv.Spec.Local.Path == path {
			pvKey = k
		}
	}
	claim := o.Spec.Template.Spec.Volumes[0].PersistentVolumeClaim
	if pvKey == "" || claim == nil || ours["PersistentVolumeClaim/"+claim.ClaimName] == nil {
		return false
	}
	delete(ours, pvKey)
	delete(ours, "PersistentVolumeClaim/"+claim.ClaimName)
	name := m.Spec.Template.Spec.Volumes[0].Name
	m.Spec.Template.Spec.Volumes = o.Spec.Template.Spec.Volumes
	for i := range m.Spec.Template.Spec.Containers {
		for j, vm := range m.Spec.Template.Spec.Containers[i].VolumeMounts {
			if vm.Name == name {
				m.Spec.Template.Spec.Containers[i].VolumeMounts[j].Name = o.Spec.Template.Spec.Volumes[0].Name
			}
		}
	}
	return true
}}
