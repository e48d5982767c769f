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

	"github.com/google/uuid"

	"github.com/cht-gen/cht-gen/generator/files"
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

// Generate returns the credentials file for e.
func Generate(e *model.Environment) ([]byte, error) {
	c, err := New(e.CouchDB.User)
	if err != nil {
		return nil, err
	}
	if e.Target == model.Compose {
		return []byte(fmt.Sprintf("# CouchDB credentials for %s, made by cht-gen secrets. Keep on the VM only.\nCOUCHDB_USER=%s\nCOUCHDB_PASSWORD=%s\nCOUCHDB_SECRET=%s\nCOUCHDB_UUID=%s\n",
			e.Name, c.User, c.Password, c.Secret, c.UUID)), nil
	}
	doc := files.Map{
		{"apiVersion", "v1"},
		{"kind", "Secret"},
		{"metadata", files.Map{{"name", e.Credentials.SecretName}, {"namespace", e.Namespace}}},
		{"type", "Opaque"},
		{"stringData", files.Map{
			{"COUCHDB_USER", c.User},
			{"COUCHDB_PASSWORD", c.Password},
			{"COUCHDB_SECRET", c.Secret},
			{"COUCHDB_UUID", c.UUID},
			{"COUCH_URL", CouchURL(c, e.Namespace)},
		}},
	}
	b, err := files.YAML(doc)
	if err != nil {
		return nil, err
	}
	return append([]byte("# CouchDB credentials for "+e.Name+", made by cht-gen secrets: apply, or encrypt with SOPS; never commit in clear.\n"), b...), nil
}
