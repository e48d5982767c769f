// Package secrets generates CouchDB credentials for an environment: a .env
// body (Compose) or a Secret manifest (Kubernetes). Values are random and
// URL-safe, because CHT puts the password verbatim into COUCH_URL
// (cht-core #8599). Nothing here is ever written into rendered output.
package secrets

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"sort"

	"github.com/google/uuid"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/cht-gen/cht-gen/generator/files"
	"github.com/cht-gen/cht-gen/generator/kustomize"
	"github.com/cht-gen/cht-gen/generator/model"
)

// Credentials are one environment's CouchDB secrets.
type Credentials struct {
	User, Password, Secret, UUID string
}

// New returns fresh credentials: 32 random bytes, hex-encoded, for the
// password and the secret (URL-safe by construction), and a random UUID.
func New(user string) (Credentials, error) {
	pw, err := token()
	if err != nil {
		return Credentials{}, err
	}
	sec, err := token()
	if err != nil {
		return Credentials{}, err
	}
	id, err := uuid.NewRandom()
	if err != nil {
		return Credentials{}, err
	}
	return Credentials{User: user, Password: pw, Secret: sec, UUID: id.String()}, nil
}

func token() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("read random bytes: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// CouchURL is CHT's COUCH_URL for a Kubernetes namespace, the password
// URL-encoded as Medic's chart does.
func CouchURL(c Credentials, namespace string) string {
	u := url.URL{Scheme: "http", User: url.UserPassword(c.User, c.Password),
		Host: fmt.Sprintf("haproxy.%s.svc.cluster.local:5984", namespace), Path: "/medic"}
	return u.String()
}

// Options choose what Generate prints for a Kubernetes environment.
type Options struct {
	// SecretOnly leaves out the Namespace: the manifest to encrypt with
	// SOPS (credentials.sopsFile), which the overlay's namespace precedes.
	SecretOnly bool
	// ReplaceRunning prints new credentials for an existing environment
	// (existing: true), whose CouchDB already has data under its
	// credentials: applying them replaces a running CouchDB's credentials.
	ReplaceRunning bool
}

// RunningError refuses new credentials for an environment whose instance
// already runs (existing: true): its CouchDB keeps the credentials it has.
type RunningError struct {
	Env *model.Environment
}

func (r *RunningError) Error() string {
	e := r.Env
	if e.Target == model.Compose {
		return fmt.Sprintf("%s runs already (existing: true): its CouchDB keeps the COUCHDB_PASSWORD, COUCHDB_SECRET and COUCHDB_UUID of the VM's .env (%s/.env); keep that file as it is, new values would lock CHT out of its data. To replace a running CouchDB's credentials anyway: --replace-running-credentials", e.Name, e.ComposePath)
	}
	return fmt.Sprintf("%s runs already (existing: true): its CouchDB keeps the credentials of Secret %s in namespace %s; keep that Secret as it is (cht-gen handover %s checks and keeps it), new values would lock CHT out of its data. To replace a running CouchDB's credentials anyway: --replace-running-credentials", e.Name, e.Credentials.SecretName, e.Namespace, e.Name)
}

// Generate returns the credentials file for e: a .env body for Compose; for
// Kubernetes the environment's Namespace, exactly as its overlay renders it
// (so `kubectl apply` works before the first sync and the reconciler adopts
// it), then the Secret, labelled as the overlay labels its objects.
//
// For an existing environment it returns a *RunningError unless
// opts.ReplaceRunning.
func Generate(e *model.Environment, opts Options) ([]byte, error) {
	if e.Existing && !opts.ReplaceRunning {
		return nil, &RunningError{Env: e}
	}
	c, err := New(e.CouchDB.User)
	if err != nil {
		return nil, err
	}
	if e.Target == model.Compose {
		return []byte(fmt.Sprintf("# CouchDB credentials for %s, made by cht-gen secrets. Keep on the VM only.\nCOUCHDB_USER=%s\nCOUCHDB_PASSWORD=%s\nCOUCHDB_SECRET=%s\nCOUCHDB_UUID=%s\n",
			e.Name, c.User, c.Password, c.Secret, c.UUID)), nil
	}
	ns, err := Namespace(e)
	if err != nil {
		return nil, err
	}
	meta := files.Map{{"name", e.Credentials.SecretName}, {"namespace", e.Namespace}}
	if labels := ns.GetLabels(); len(labels) > 0 {
		l := files.Map{}
		for _, k := range sortedKeys(labels) {
			l = append(l, files.KV{k, labels[k]})
		}
		meta = append(meta, files.KV{"labels", l})
	}
	doc := files.Map{
		{"apiVersion", "v1"},
		{"kind", "Secret"},
		{"metadata", meta},
		{"type", "Opaque"},
		{"stringData", files.Map{
			{"COUCHDB_USER", c.User},
			{"COUCHDB_PASSWORD", c.Password},
			{"COUCHDB_SECRET", c.Secret},
			{"COUCHDB_UUID", c.UUID},
			{"COUCH_URL", CouchURL(c, e.Namespace)},
		}},
	}
	docs := []any{doc}
	head := "# CouchDB credentials for " + e.Name + ", made by cht-gen secrets: encrypt with SOPS before committing; never commit in clear.\n"
	if !opts.SecretOnly {
		docs = []any{ns.Object, doc}
		head = "# Namespace " + e.Namespace + " as its overlay renders it, then CouchDB credentials for " + e.Name + ",\n# made by cht-gen secrets: apply once, before the first sync; never commit in clear.\n"
	}
	return files.Document(head, docs...)
}

// Namespace is e's Namespace as kustomize builds it from e's overlay.
func Namespace(e *model.Environment) (*unstructured.Unstructured, error) {
	docs, err := kustomize.BuildEnvironment(e)
	if err != nil {
		return nil, err
	}
	for _, doc := range docs {
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(doc); err != nil {
			return nil, err
		}
		if u.GetKind() == "Namespace" && u.GetAPIVersion() == "v1" {
			return u, nil
		}
	}
	return nil, fmt.Errorf("overlay %s renders no Namespace", kustomize.OverlayDir(e))
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
