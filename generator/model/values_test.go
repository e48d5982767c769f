package model

import (
	"strings"
	"testing"
)

func problems(e Environment) string {
	var lines []string
	for _, p := range Validate([]Environment{e}) {
		lines = append(lines, p.Error())
	}
	return strings.Join(lines, "\n")
}

func TestValidate_Values(t *testing.T) {
	compose := func(f func(e *Environment)) Environment {
		e := Environment{Name: "vm", Target: Compose, Version: "4.22.0", Host: "vm.example.org", ComposePath: "/srv/cht/vm",
			CouchDB: CouchDB{Nodes: 1}, Nginx: Nginx{HTTPPort: 80, HTTPSPort: 443, TLS: TLS{Email: "domains@medic.org"}}}
		f(&e)
		return e
	}
	k8s := func(f func(e *Environment)) Environment {
		e := Environment{Name: "k", Target: Kubernetes, Version: "4.22.0", Host: "k.example.org", Namespace: "cht-k",
			RepoURL: "https://github.com/moh/deploy", CouchDB: CouchDB{Nodes: 1}}
		f(&e)
		return e
	}
	cases := []struct {
		name string
		env  Environment
		want string // "" means no problem
	}{
		{"defaults", compose(func(e *Environment) {}), ""},
		{"shell in acme e-mail", compose(func(e *Environment) { e.Nginx.TLS.ACMEEmail = "x@y.org;>FILE;true" }), "nginx.tls.acmeEmail: \"x@y.org;>FILE;true\" is not a plain e-mail"},
		{"display name e-mail", compose(func(e *Environment) { e.Nginx.TLS.Email = "Ops <ops@example.org>" }), "is not a plain e-mail"},
		{"e-mail with $", compose(func(e *Environment) { e.Nginx.TLS.Email = "a$b@example.org" }), "is not a plain e-mail"},
		{"good e-mail", compose(func(e *Environment) { e.Nginx.TLS.ACMEEmail = "ops+cht@district.example.org" }), ""},
		{"market with braces", compose(func(e *Environment) { e.Builds.MarketURL = "https://m.example.org/${X}" }), "brace"},
		{"market with token", compose(func(e *Environment) { e.Builds.MarketURL = "https://tok3n@m.example.org" }), "carries credentials"},
		{"market ftp", compose(func(e *Environment) { e.Builds.MarketURL = "ftp://m.example.org" }), "scheme \"ftp\""},
		{"token never echoed", compose(func(e *Environment) { e.Builds.MarketURL = "https://tok3n@m.example.org/{" }), "brace"},
		{"market newline", compose(func(e *Environment) { e.Builds.MarketURL = "https://m.example.org/\nx" }), "control character"},
		{"market with $", compose(func(e *Environment) { e.Builds.MarketURL = "https://m.example.org/a$b" }), ""},
		{"market with a query token", compose(func(e *Environment) { e.Builds.MarketURL = "https://m.example.org/?token=tok3n" }), "query or fragment"},
		{"market with a fragment", compose(func(e *Environment) { e.Builds.MarketURL = "https://m.example.org/#tok3n" }), "query or fragment"},
		{"market port out of range", compose(func(e *Environment) { e.Builds.MarketURL = "https://m.example.org:99999" }), "port 99999 is not between 1 and 65535"},
		{"market with a port", compose(func(e *Environment) { e.Builds.MarketURL = "https://m.example.org:8443/" }), ""},
		{"registry port out of range", compose(func(e *Environment) { e.Registry = "reg.example.org:99999/medic" }), "port 99999 is not between 1 and 65535"},
		{"registry port 0", compose(func(e *Environment) { e.Registry = "localhost:0" }), "port 0 is not between 1 and 65535"},
		{"registry with a port", compose(func(e *Environment) { e.Registry = "localhost:5000/medic" }), ""},
		{"composePath root", compose(func(e *Environment) { e.ComposePath = "/" }), "is the root folder"},
		{"composePath dotdot", compose(func(e *Environment) { e.ComposePath = "/srv/../etc/cht" }), "contains \"..\""},
		{"composePath trailing slash", compose(func(e *Environment) { e.ComposePath = "/srv/cht/" }), "not clean"},
		{"composePath /usr", compose(func(e *Environment) { e.ComposePath = "/usr/local/cht" }), "system folder /usr"},
		{"composePath /var", compose(func(e *Environment) { e.ComposePath = "/var" }), "whole system folder"},
		{"dataPaths /sys", compose(func(e *Environment) { e.CouchDB.DataPaths = []string{"/sys/x"} }), "couchdb.dataPaths.0: \"/sys/x\" is inside the system folder /sys"},
		{"dataPaths relative", compose(func(e *Environment) { e.CouchDB.DataPaths = []string{"./srv"} }), "is relative"},
		{"certDir /boot", compose(func(e *Environment) { e.Nginx.TLS.CertDir = "/boot/certs" }), "nginx.tls.certDir"},
		// The doco-cd agent's folder holds its clone, which it deletes and
		// clones again (doco-cd git.UpdateRepository), and the token file.
		{"dataPaths in the doco-cd agent's folder", compose(func(e *Environment) {
			e.GitOps = GitOpsDocoCD
			e.CouchDB.DataPaths = []string{"/srv/cht/vm/.doco-cd-agent/data/couchdb"}
		}), "couchdb.dataPaths.0: \"/srv/cht/vm/.doco-cd-agent/data/couchdb\" is inside /srv/cht/vm/.doco-cd-agent, the doco-cd agent's folder"},
		{"certDir is the doco-cd agent's folder", compose(func(e *Environment) {
			e.GitOps = GitOpsDocoCD
			e.Nginx.TLS.CertDir = "/srv/cht/vm/.doco-cd-agent"
		}), "nginx.tls.certDir: \"/srv/cht/vm/.doco-cd-agent\" is inside /srv/cht/vm/.doco-cd-agent"},
		{"good paths", compose(func(e *Environment) {
			e.CouchDB.DataPaths = []string{"/var/lib/cht/db"}
			e.Nginx.TLS.CertDir = "/srv/cht/certs"
		}), ""},
		{"registry bare name", compose(func(e *Environment) { e.Registry = "medic" }), "registry"},
		{"registry upper case", compose(func(e *Environment) { e.Registry = "Mirror.example.org/Medic" }), "registry"},
		{"registry mirror", compose(func(e *Environment) { e.Registry = "mirror.example.org:5000/medic" }), ""},
		{"upgrade tag", compose(func(e *Environment) { e.UpgradeService.Tag = ".x" }), "upgradeService.tag"},
		// Requests above limits and empty volumes: refused by the API server.
		{"request above limit", k8s(func(e *Environment) {
			e.API.Resources = Resources{Requests: &ResourceList{CPU: "2", Memory: "512Mi"}, Limits: &ResourceList{CPU: "1", Memory: "1Gi"}}
		}), "api.resources.requests.cpu: 2 is more than limits.cpu (1)"},
		{"reservation above limit on compose", compose(func(e *Environment) {
			e.CouchDB.Resources = Resources{Requests: &ResourceList{Memory: "4G"}, Limits: &ResourceList{Memory: "2G"}}
		}), "couchdb.resources.requests.memory: 4G is more than limits.memory (2G)"},
		{"request equal to limit in other units", k8s(func(e *Environment) {
			e.Healthcheck.Resources = Resources{Requests: &ResourceList{CPU: "500m", Memory: "1024Mi"}, Limits: &ResourceList{CPU: "0.5", Memory: "1Gi"}}
		}), ""},
		{"request without limit", k8s(func(e *Environment) {
			e.Sentinel.Resources = Resources{Requests: &ResourceList{CPU: "8", Memory: "64Gi"}}
		}), ""},
		{"zero volume", k8s(func(e *Environment) { e.CouchDB.Storage.Size = "0Gi" }), "couchdb.storage.size: \"0Gi\": a volume must be larger than zero"},
		{"volume size", k8s(func(e *Environment) { e.CouchDB.Storage.Size = "20Gi" }), ""},
		// Tolerations the API server would refuse, with the whole CouchDB Deployment.
		{"toleration Exists with value", k8s(func(e *Environment) {
			e.CouchDB.Placement.Tolerations = []Toleration{{Key: "x", Operator: "Exists", Value: "y", Effect: "NoSchedule"}}
		}), "couchdb.placement.tolerations.0.value: must be empty with operator \"Exists\""},
		{"toleration bad key", k8s(func(e *Environment) {
			e.CouchDB.Placement.Tolerations = []Toleration{{Key: "ok", Operator: "Equal", Effect: "NoSchedule"}, {Key: "bad key!", Operator: "Equal", Value: "y", Effect: "NoSchedule"}}
		}), "couchdb.placement.tolerations.1.key: \"bad key!\" is not a taint key"},
		{"toleration bad value", k8s(func(e *Environment) {
			e.CouchDB.Placement.Tolerations = []Toleration{{Key: "k", Operator: "Equal", Value: "a b", Effect: "NoSchedule"}}
		}), "couchdb.placement.tolerations.0.value: \"a b\" is not a taint value"},
		{"toleration empty key with Equal", k8s(func(e *Environment) {
			e.CouchDB.Placement.Tolerations = []Toleration{{Operator: "Equal", Value: "v", Effect: "NoSchedule"}}
		}), "couchdb.placement.tolerations.0.key: is empty"},
		{"tolerations the API server accepts", k8s(func(e *Environment) {
			e.CouchDB.Placement.Tolerations = []Toleration{
				{Operator: "Exists", Effect: "NoSchedule"},
				{Key: "node.kubernetes.io/unreachable", Operator: "Exists", Effect: "NoExecute"},
				{Key: "dedicated", Operator: "Equal", Value: "couchdb", Effect: "NoSchedule"},
				{Key: "spot", Operator: "Equal", Effect: "PreferNoSchedule"},
			}
		}), ""},
		{"repoURL token", k8s(func(e *Environment) { e.RepoURL = "https://user:tok3n@github.com/moh/deploy" }), "repoURL: carries credentials"},
		{"repoURL ssh password", k8s(func(e *Environment) { e.RepoURL = "ssh://git:tok3n@github.com/moh/deploy" }), "carries credentials"},
		{"repoURL scp password", k8s(func(e *Environment) { e.RepoURL = "git:tok3n@github.com:moh/deploy" }), "carries a password"},
		{"repoURL ssh user", k8s(func(e *Environment) { e.RepoURL = "ssh://git@github.com/moh/deploy" }), ""},
		{"repoURL scp", k8s(func(e *Environment) { e.RepoURL = "git@github.com:moh/deploy.git" }), ""},
		{"certificate ARN with a newline", k8s(func(e *Environment) { e.Ingress.CertificateArn = "arn:aws:acm:x\n---\nkind: Pod" }), "ingress.certificateArn: holds a newline"},
		{"ALB group with a line separator", k8s(func(e *Environment) { e.Ingress.GroupName = "g\u2028h" }), "ingress.groupName: holds a newline"},
		{"ALB tags with NUL", k8s(func(e *Environment) { e.Ingress.Tags = "a=b\x00" }), "ingress.tags: holds a newline"},
		{"remote key with a newline", k8s(func(e *Environment) {
			e.Credentials.ExternalSecret = &ExternalSecret{StoreName: "s", RemoteKey: "cht/prod\n"}
		}), "credentials.externalSecret.remoteKey: holds a newline"},
		{"ALB values on one line", k8s(func(e *Environment) {
			e.Ingress.CertificateArn, e.Ingress.GroupName, e.Ingress.Tags = "arn:aws:acm:eu-west-1:1:certificate/x", "cht", "team=moh,env=prod"
		}), ""},
		{"repoURL query token", k8s(func(e *Environment) { e.RepoURL = "https://github.com/moh/deploy?access_token=tok3n" }), "repoURL: has a query or fragment"},
		{"repoURL empty query", k8s(func(e *Environment) { e.RepoURL = "https://github.com/moh/deploy?" }), "repoURL: has a query or fragment"},
		{"repoURL fragment", k8s(func(e *Environment) { e.RepoURL = "ssh://git@github.com/moh/deploy#tok3n" }), "repoURL: has a query or fragment"},
		{"repoURL scp query", k8s(func(e *Environment) { e.RepoURL = "git@github.com:moh/deploy?tok3n" }), "repoURL: has a query or fragment"},
		{"annotation key", k8s(func(e *Environment) { e.Ingress.Annotations = map[string]string{"a b": "x"} }), "ingress.annotations.\"a b\": \"a b\" is not an annotation key"},
		{"annotation prefix", k8s(func(e *Environment) { e.Ingress.Annotations = map[string]string{"Bad_Prefix/x": "x"} }), "is not an annotation key"},
		{"annotations size", k8s(func(e *Environment) { e.Ingress.Annotations = map[string]string{"a": strings.Repeat("x", 300<<10)} }), "annotations total more than"},
		{"good annotation", k8s(func(e *Environment) {
			e.Ingress.Annotations = map[string]string{"nginx.ingress.kubernetes.io/proxy-body-size": "32m"}
		}), ""},
		{"class name", k8s(func(e *Environment) { e.Ingress.ClassName = "Public_Nginx" }), "ingress.className"},
		{"storage class", k8s(func(e *Environment) { e.CouchDB.Storage.Class = "gp3_" }), "couchdb.storage.class"},
		{"host 254", k8s(func(e *Environment) { e.Host = strings.Repeat("a.", 125) + "abcd" }), "host: "},
		{"node label value", k8s(func(e *Environment) { e.CouchDB.Placement.Nodes = []string{strings.Repeat("n", 64)} }), "kubernetes.io/hostname label value"},
		{"hostPaths /dev", k8s(func(e *Environment) {
			e.CouchDB.Storage.Existing = &Existing{HostPaths: []string{"/dev/sdb"}}
			e.CouchDB.Placement.Nodes = []string{"n1"}
		}), "hostPaths.0: \"/dev/sdb\" is inside the system folder /dev"},
		{"certbot before 4.2.0", compose(func(e *Environment) { e.Version = "4.1.1"; e.Nginx.TLS.Mode = TLSAutoGenerate }), "AUTO_GENERATE needs CHT 4.2.0"},
		{"certbot on 4.2.0", compose(func(e *Environment) { e.Version = "4.2.0"; e.Nginx.TLS.Mode = TLSAutoGenerate }), ""},
		// couchdb.ulimit works through DEFAULT_ULIMIT=true, which Medic's
		// CouchDB image reads from 4.20.0; a pod cannot set a ulimit.
		{"ulimit compose 4.22.0", compose(func(e *Environment) { e.CouchDB.Ulimit = 65536 }), ""},
		{"ulimit compose 4.19.0", compose(func(e *Environment) { e.Version = "4.19.0"; e.CouchDB.Ulimit = 65536 }), "couchdb.ulimit: has no effect: Medic's CouchDB image of CHT 4.19.0 always raises"},
		{"ulimit kubernetes", k8s(func(e *Environment) { e.CouchDB.Ulimit = 65536 }), "couchdb.ulimit: sets DEFAULT_ULIMIT=true"},
		// Zero fields are unknown (the schema refused them): no invented errors.
		{"unknown version and nodes", compose(func(e *Environment) { e.Version = ""; e.CouchDB.Nodes = 0; e.CouchDB.DataPaths = []string{"/srv/a"} }), ""},
		{"unknown ports", compose(func(e *Environment) { e.Nginx.HTTPPort, e.Nginx.HTTPSPort = 0, 0 }), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := problems(c.env)
			if strings.Contains(got, "tok3n") {
				t.Errorf("a problem echoes the credential:\n%s", got)
			}
			switch {
			case c.want == "" && got != "":
				t.Errorf("unexpected problems:\n%s", got)
			case c.want != "" && !strings.Contains(got, c.want):
				t.Errorf("problems do not say %q:\n%s", c.want, got)
			}
		})
	}
}
