package model

import (
	"fmt"
	"net/mail"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/distribution/reference"
	"k8s.io/apimachinery/pkg/api/resource"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// useDeployKey is where credentials go instead of a Git or builds URL.
const useDeployKey = "use a deploy key or a Secret (gitops.secretRef) instead"

// checkValues checks each value for the context it lands in: a compose
// file (interpolation), a container's arguments, a Kubernetes object, a
// host path, or a URL committed to Git. A zero value is unknown (the
// schema reported it) and is skipped.
func checkValues(e *Environment, add func(field, format string, args ...any)) {
	checkURL(e.Builds.MarketURL, "builds.marketURL", []string{"http", "https"}, useDeployKey, add)
	if e.Registry != "" {
		if named, err := reference.ParseNamed(e.Registry + "/cht-api"); err != nil {
			add("registry", "%q is not an image registry with a repository prefix (e.g. \"mirror.example.org/medic\"): %v", e.Registry, err)
		} else if _, port, ok := strings.Cut(reference.Domain(named), ":"); ok {
			if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
				add("registry", "%q: port %s is not between 1 and 65535", e.Registry, port)
			}
		}
	}
	if t := e.UpgradeService.Tag; t != "" {
		if _, err := reference.Parse("example.org/upgrade-service:" + t); err != nil {
			add("upgradeService.tag", "%q is not an image tag (letters, digits, '_', '.' and '-', not starting with '.' or '-', at most 128): %v", t, err)
		}
	}
	if e.Host != "" {
		for _, msg := range validation.IsDNS1123Subdomain(e.Host) {
			add("host", "%q is not a host name: %s", e.Host, msg)
		}
	}
	checkResources(e, add)
	switch e.Target {
	case Compose:
		checkEmail(e.Nginx.TLS.Email, "nginx.tls.email", add)
		checkEmail(e.Nginx.TLS.ACMEEmail, "nginx.tls.acmeEmail", add)
		checkHostPath(e.ComposePath, "composePath", add)
		for i, p := range e.CouchDB.DataPaths {
			checkHostPath(p, fmt.Sprintf("couchdb.dataPaths.%d", i), add)
		}
		checkHostPath(e.Nginx.TLS.CertDir, "nginx.tls.certDir", add)
		checkOutsideAgent(e, add)
	case Kubernetes:
		checkURL(e.RepoURL, "repoURL", []string{"https", "ssh", "file"}, useDeployKey, add)
		checkURL(e.ArgoCDServer, "argocdServer", []string{"https"}, "Argo CD keeps a cluster's credentials in its own cluster Secret (argocd cluster add)", add)
		if ex := e.CouchDB.Storage.Existing; ex != nil {
			for i, p := range ex.HostPaths {
				checkHostPath(p, fmt.Sprintf("couchdb.storage.existing.hostPaths.%d", i), add)
			}
		}
		checkKubernetes(e, add)
	}
}

// checkKubernetes applies Kubernetes' own validation to the values that
// become object fields.
func checkKubernetes(e *Environment, add func(field, format string, args ...any)) {
	for _, fe := range apivalidation.ValidateAnnotations(e.Ingress.Annotations, field.NewPath("ingress", "annotations")) {
		if fe.Type == field.ErrorTypeTooLong {
			add("ingress.annotations", "annotations total more than %d bytes", apivalidation.TotalAnnotationSizeLimitB)
			continue
		}
		key := fmt.Sprint(fe.BadValue)
		add("ingress.annotations."+strconv.Quote(key), "%q is not an annotation key: %s", key, fe.Detail)
	}
	for i, node := range e.CouchDB.Placement.Nodes {
		for _, msg := range validation.IsValidLabelValue(node) {
			add(fmt.Sprintf("couchdb.placement.nodes.%d", i), "%q cannot be a kubernetes.io/hostname label value: %s", node, msg)
		}
	}
	if q, err := resource.ParseQuantity(e.CouchDB.Storage.Size); err == nil && q.Sign() <= 0 {
		add("couchdb.storage.size", "%q: a volume must be larger than zero (the API server refuses the claim)", e.CouchDB.Storage.Size)
	}
	for i, t := range e.CouchDB.Placement.Tolerations {
		checkToleration(t, fmt.Sprintf("couchdb.placement.tolerations.%d", i), add)
	}
	names := []struct{ field, value string }{
		{"ingress.className", e.Ingress.ClassName},
		{"couchdb.storage.class", e.CouchDB.Storage.Class},
	}
	for _, n := range names {
		if n.value == "" {
			continue
		}
		for _, msg := range validation.IsDNS1123Subdomain(n.value) {
			add(n.field, "%q is not a Kubernetes object name: %s", n.value, msg)
		}
	}
	// One-line values the schema leaves free: YAML would keep a newline,
	// but the controllers reading them (AWS, GCE, the external store)
	// would then fail on the cluster, not here.
	oneLine := []struct{ field, value string }{
		{"ingress.certificateArn", e.Ingress.CertificateArn},
		{"ingress.groupName", e.Ingress.GroupName},
		{"ingress.tags", e.Ingress.Tags},
		{"ingress.staticIPName", e.Ingress.StaticIPName},
	}
	if x := e.Credentials.ExternalSecret; x != nil {
		oneLine = append(oneLine, struct{ field, value string }{"credentials.externalSecret.remoteKey", x.RemoteKey})
	}
	for _, n := range oneLine {
		if strings.ContainsFunc(n.value, isControl) {
			add(n.field, "holds a newline or another control character: give it on one line")
		}
	}
}

// checkResources refuses a request above its limit: Kubernetes refuses
// such a Deployment ("must be less than or equal to ... limit"), Docker a
// reservation above the limit. Malformed quantities are the schema's to
// report.
func checkResources(e *Environment, add func(field, format string, args ...any)) {
	for _, c := range []struct {
		field string
		r     Resources
	}{
		{"couchdb.resources", e.CouchDB.Resources}, {"api.resources", e.API.Resources}, {"sentinel.resources", e.Sentinel.Resources},
		{"haproxy.resources", e.HAProxy.Resources}, {"healthcheck.resources", e.Healthcheck.Resources},
	} {
		if c.r.Requests == nil || c.r.Limits == nil {
			continue
		}
		for _, q := range []struct{ name, request, limit string }{
			{"cpu", c.r.Requests.CPU, c.r.Limits.CPU}, {"memory", c.r.Requests.Memory, c.r.Limits.Memory},
		} {
			request, err1 := resource.ParseQuantity(q.request)
			limit, err2 := resource.ParseQuantity(q.limit)
			if err1 == nil && err2 == nil && request.Cmp(limit) > 0 {
				add(c.field+".requests."+q.name, "%s is more than limits.%s (%s): a request cannot exceed its limit; raise the limit or lower the request", q.request, q.name, q.limit)
			}
		}
	}
}

// checkToleration applies the API server's rules for a Pod toleration
// (k8s.io/kubernetes validateTolerations), which would otherwise refuse the
// whole CouchDB Deployment at apply time: a key is a qualified name (empty
// only with Exists, meaning every taint), Exists takes no value, Equal's
// value is a label value.
func checkToleration(t Toleration, fieldPath string, add func(field, format string, args ...any)) {
	if t.Key != "" {
		for _, msg := range validation.IsQualifiedName(t.Key) {
			add(fieldPath+".key", "%q is not a taint key: %s", t.Key, msg)
		}
	} else if t.Operator == "Equal" {
		add(fieldPath+".key", "is empty: an empty key tolerates every taint and needs operator \"Exists\"")
	}
	switch t.Operator {
	case "Exists":
		if t.Value != "" {
			add(fieldPath+".value", "must be empty with operator \"Exists\" (it matches any value): remove it, or use operator \"Equal\"")
		}
	case "Equal":
		for _, msg := range validation.IsValidLabelValue(t.Value) {
			add(fieldPath+".value", "%q is not a taint value: %s", t.Value, msg)
		}
	}
}

// strictEmail is the subset of RFC 5322 addresses that is safe as one
// argument and in a compose file: no quotes, spaces, `$`, `;` or braces.
var strictEmail = regexp.MustCompile(`^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$`)

func checkEmail(s, fieldPath string, add func(field, format string, args ...any)) {
	if s == "" {
		return
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s || !strictEmail.MatchString(s) {
		add(fieldPath, "%q is not a plain e-mail address (letters, digits, . _ %% + - and one @ before a domain, e.g. ops@example.org)", s)
	}
}

// checkURL refuses URLs that would commit a credential (instead says
// where credentials go for this field), or that hold
// characters compose cannot keep literal inside a ${VAR:-default}.
func checkURL(s, fieldPath string, schemes []string, instead string, add func(field, format string, args ...any)) {
	if s == "" {
		return
	}
	if strings.ContainsAny(s, "{}\\\"'` ") || strings.ContainsFunc(s, isControl) {
		add(fieldPath, "holds a space, quote, backslash, brace or control character: percent-encode it") // the value may hold a token: not echoed
		return
	}
	// A Git or builds URL needs no query or fragment; one is where a
	// token hides (?access_token=...), and in marketURL it would swallow
	// the builds path appended to it.
	queryMsg := "has a query or fragment (?... or #...): remove it; a token there would be committed in plain text; " + instead
	if user, ok := scpUser(s); ok {
		if strings.Contains(user, ":") {
			add(fieldPath, "carries a password in its user part: it would be committed in plain text; %s", instead)
		} else if strings.ContainsAny(s, "?#") {
			add(fieldPath, queryMsg)
		}
		return
	}
	u, err := url.Parse(s)
	if err != nil {
		if ue, ok := err.(*url.Error); ok {
			err = ue.Err // without the URL, which may hold a token
		}
		add(fieldPath, "is not a URL: %v", err)
		return
	}
	if u.User != nil {
		_, hasPassword := u.User.Password()
		if u.Scheme != "ssh" || hasPassword {
			add(fieldPath, "carries credentials (%s://%s@...): they would be committed in plain text; %s", u.Scheme, "<user info>", instead)
			return
		}
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(s, "#") {
		add(fieldPath, queryMsg)
		return
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			add(fieldPath, "port %s is not between 1 and 65535", p)
			return
		}
	}
	ok := false
	for _, sc := range schemes {
		ok = ok || u.Scheme == sc
	}
	if !ok {
		add(fieldPath, "scheme %q is not one of %s", u.Scheme, strings.Join(schemes, ", "))
	} else if u.Host == "" && u.Scheme != "file" {
		add(fieldPath, "has no host")
	}
}

// scpUser is the user of an scp-like Git address (git@github.com:org/repo).
func scpUser(s string) (string, bool) {
	if strings.Contains(s, "://") {
		return "", false
	}
	user, rest, ok := strings.Cut(s, "@")
	if !ok || !strings.Contains(rest, ":") {
		return "", false
	}
	return user, true
}

func isControl(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029
}

// systemDirs hold the operating system or Docker's own state: a data or
// certificate folder there would mix CHT's files with them.
var systemDirs = []string{"/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/proc", "/run", "/sbin", "/sys", "/usr",
	"/var/lib/docker", "/var/lib/containerd", "/var/lib/kubelet", "/var/lib/etcd", "/var/run"}

// topDirs are fine to live below, never to be used whole.
var topDirs = []string{"/home", "/media", "/mnt", "/opt", "/root", "/srv", "/tmp", "/var", "/var/lib"}

func checkHostPath(p, fieldPath string, add func(field, format string, args ...any)) {
	if p == "" {
		return
	}
	switch {
	case !strings.HasPrefix(p, "/"):
		add(fieldPath, "%q is relative: give an absolute host path (the upgrade service runs docker compose inside its container, where relative paths point at new, empty folders)", p)
		return
	case strings.Contains("/"+p+"/", "/../"):
		add(fieldPath, "%q contains \"..\": give the folder itself", p)
		return
	case path.Clean(p) != p:
		add(fieldPath, "%q is not clean: write it as %q", p, path.Clean(p))
		return
	case p == "/":
		add(fieldPath, "is the root folder: give a folder of its own, e.g. /srv/cht/<env>")
		return
	}
	for _, d := range systemDirs {
		if p == d || strings.HasPrefix(p, d+"/") {
			add(fieldPath, "%q is inside the system folder %s: give a folder of its own, e.g. /srv/cht/<env>", p, d)
			return
		}
	}
	for _, d := range topDirs {
		if p == d {
			add(fieldPath, "%q is a whole system folder: give a folder of its own below it, e.g. %s/cht", p, d)
			return
		}
	}
}

// DocoCDAgentDir is the doco-cd agent's folder below composePath: its
// clone of the repository (data/) and its token file.
const DocoCDAgentDir = ".doco-cd-agent"

// checkOutsideAgent refuses CouchDB data or certificates in the doco-cd
// agent's folder: the agent deletes and clones its repository again there
// (a depth change, a corrupt clone), and the folder holds its token.
func checkOutsideAgent(e *Environment, add func(field, format string, args ...any)) {
	if !e.UsesDocoCD() || e.ComposePath == "" {
		return
	}
	agent := path.Join(e.ComposePath, DocoCDAgentDir)
	inside := func(p, fieldPath string) {
		if p == agent || strings.HasPrefix(p, agent+"/") {
			add(fieldPath, "%q is inside %s, the doco-cd agent's folder (its clone, which it deletes and clones again, and its token): give a folder of its own, e.g. %s/srv", p, agent, e.ComposePath)
		}
	}
	for i, p := range e.CouchDB.DataPaths {
		inside(p, fmt.Sprintf("couchdb.dataPaths.%d", i))
	}
	inside(e.Nginx.TLS.CertDir, "nginx.tls.certDir")
}
