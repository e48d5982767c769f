package diff

import (
	"fmt"
	"strings"
	"testing"
)

// Synthetic trees shaped like Medic's 4.22, 5.0 and 5.1 charts: the
// summary must name what appears and disappears without knowing any of it.
const (
	deploy = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: %s\n  labels:\n    cht.service: %s\nspec:\n  template:\n    spec:\n      containers:\n%s"
	svc    = "apiVersion: v1\nkind: Service\nmetadata:\n  name: %s\n  labels:\n    cht.service: %s\n"
	role   = "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: deployment-manager\n"
)

func container(name, image string) string {
	return "      - name: " + name + "\n        image: " + image + "\n"
}

func doc(format string, args ...any) string {
	return strings.TrimSpace(fmt.Sprintf(format, args...)) + "\n---\n"
}

func unit(t *testing.T, docs ...string) *Unit {
	t.Helper()
	u, err := kubernetesUnit("prod", []byte(strings.Join(docs, "")))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestSummaryNamesTopologyChanges(t *testing.T) {
	api := func(v string) string {
		return doc(deploy, "cht-api", "api", container("cht-api", "public.ecr.aws/medic/cht-api:"+v))
	}
	couch := func(extra string) string {
		return doc(deploy, "cht-couchdb", "couchdb", container("cht-couchdb", "public.ecr.aws/medic/cht-couchdb:5.2.0")+extra)
	}
	v422 := unit(t, api("4.22.0"), couch(""),
		doc(deploy, "upgrade-service", "upgrade-service", container("upgrade-service", "public.ecr.aws/medic/upgrade-service:0.32")),
		doc(svc, "upgrade-service", "upgrade-service"), doc(role))
	v50 := unit(t, api("5.0.0"), couch(""),
		doc(deploy, "cht-couchdb-nouveau", "nouveau", container("cht-couchdb-nouveau", "public.ecr.aws/medic/cht-couchdb-nouveau:5.0.0")),
		doc(svc, "nouveau", "nouveau"))
	v51 := unit(t, api("5.1.0"), couch(container("cht-couchdb-nouveau", "public.ecr.aws/medic/cht-couchdb-nouveau:5.1.0")),
		doc(svc, "nouveau", "nouveau"))
	for _, tc := range []struct {
		name string
		a, b *Unit
		want string
	}{
		{"4.22 -> 5.0", v422, v50, "+ nouveau (Deployment cht-couchdb-nouveau, Service nouveau); " +
			"- upgrade-service (Deployment upgrade-service, Service upgrade-service); - Role deployment-manager; " +
			"cht-api image 4.22.0 -> 5.0.0; 1 changed, 2 added, 3 removed"},
		{"4.22 -> 5.1", v422, v51, "+ nouveau (Service nouveau); + container cht-couchdb-nouveau in Deployment cht-couchdb; " +
			"- upgrade-service (Deployment upgrade-service, Service upgrade-service); - Role deployment-manager; " +
			"cht-api image 4.22.0 -> 5.1.0; 2 changed, 1 added, 3 removed"},
		{"5.0 -> 5.1", v50, v51, "+ container cht-couchdb-nouveau in Deployment cht-couchdb; - nouveau (Deployment cht-couchdb-nouveau); " +
			"cht-api image 5.0.0 -> 5.1.0; 2 changed, 0 added, 1 removed"},
		{"same", v51, v51, "unchanged"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Compare(map[string]*Unit{"prod": tc.a}, map[string]*Unit{"prod": tc.b}, "a", "b")
			if len(c) != 1 || c[0].Summary != tc.want {
				t.Errorf("summary\n got %q\nwant %q", c[0].Summary, tc.want)
			}
		})
	}
}

func TestSummaryNamesComposeServices(t *testing.T) {
	svc := func(name, image string) Object {
		return Object{Kind: "service", Name: name, YAML: "image: " + image + "\n", Images: map[string]string{name: image}}
	}
	a := &Unit{Objects: map[string]Object{
		"service/api":         svc("api", "public.ecr.aws/medic/cht-api:4.22.0"),
		"service/healthcheck": svc("healthcheck", "public.ecr.aws/medic/cht-haproxy-healthcheck:4.22.0"),
	}}
	b := &Unit{Objects: map[string]Object{
		"service/api":     svc("api", "public.ecr.aws/medic/cht-api:5.2.0"),
		"service/nouveau": svc("nouveau", "public.ecr.aws/medic/cht-couchdb-nouveau:5.2.0"),
	}}
	c := Compare(map[string]*Unit{"vm1": a}, map[string]*Unit{"vm1": b}, "a", "b")
	want := "+ service nouveau; - service healthcheck; api image 4.22.0 -> 5.2.0; 1 changed, 1 added, 1 removed"
	if c[0].Summary != want {
		t.Errorf("summary\n got %q\nwant %q", c[0].Summary, want)
	}
}
