package helmcompare

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// The reviewed differences of schema settings Medic's charts have no value
// for: cht-gen renders them, the charts render their fixed defaults.

// eachContainerPair calls f for each container of our Deployments with
// Medic's container of the same Deployment and name.
func eachContainerPair(ours, medic Objects, f func(our, their *corev1.Container) bool) bool {
	found := false
	for k, o := range ours {
		od, ok1 := o.(*appsv1.Deployment)
		md, ok2 := medic[k].(*appsv1.Deployment)
		if !ok1 || !ok2 {
			continue
		}
		for i := range od.Spec.Template.Spec.Containers {
			oc := &od.Spec.Template.Spec.Containers[i]
			for j := range md.Spec.Template.Spec.Containers {
				if mc := &md.Spec.Template.Spec.Containers[j]; mc.Name == oc.Name {
					found = f(oc, mc) || found
				}
			}
		}
	}
	return found
}

func envIndex(c *corev1.Container, name string) int {
	for i, e := range c.Env {
		if e.Name == name {
			return i
		}
	}
	return -1
}

// EnvAdded: cht-gen sets variable name where Medic's chart sets none.
func EnvAdded(name, why string) Difference {
	return Difference{Why: why, Apply: func(ours, medic Objects) bool {
		return eachContainerPair(ours, medic, func(our, their *corev1.Container) bool {
			i := envIndex(our, name)
			if i < 0 || envIndex(their, name) >= 0 {
				return false
			}
			our.Env = append(our.Env[:i:i], our.Env[i+1:]...)
			return true
		})
	}}
}

// EnvValue: cht-gen gives variable name the value want where Medic's chart
// has a fixed one.
func EnvValue(name, want, why string) Difference {
	return Difference{Why: why, Apply: func(ours, medic Objects) bool {
		return eachContainerPair(ours, medic, func(our, their *corev1.Container) bool {
			i, j := envIndex(our, name), envIndex(their, name)
			if i < 0 || j < 0 || our.Env[i].Value != want || their.Env[j].Value == want {
				return false
			}
			our.Env[i].Value = their.Env[j].Value
			return true
		})
	}}
}

// ResourcesSet: the schema's resources where Medic's charts render
// `resources: {}`.
var ResourcesSet = Difference{Why: "the schema's resources (requests/limits) are set on the containers; Medic's charts render resources: {} and have no value for them", Apply: func(ours, medic Objects) bool {
	return eachContainerPair(ours, medic, func(our, their *corev1.Container) bool {
		if len(our.Resources.Limits)+len(our.Resources.Requests) == 0 || len(their.Resources.Limits)+len(their.Resources.Requests) != 0 {
			return false
		}
		our.Resources = their.Resources
		return true
	})
}}
