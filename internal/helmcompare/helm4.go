package helmcompare

import networkingv1 "k8s.io/api/networking/v1"

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
