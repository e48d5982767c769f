package model

import (
	"fmt"
	"strings"
)

// Target is where an environment runs.
type Target string

const (
	Compose    Target = "compose"
	Kubernetes Target = "kubernetes"
)

// ArgoCDInCluster is the API server of the cluster Argo CD runs in, where
// its Applications deploy unless argocdServer names another.
const ArgoCDInCluster = "https://kubernetes.default.svc"

// ArgoCDDestination is the server e's Argo CD Application deploys to.
func (e *Environment) ArgoCDDestination() string {
	if e.ArgoCDServer == "" {
		return ArgoCDInCluster
	}
	return e.ArgoCDServer
}

// Environment is one CHT instance, decoded from the CUE schema with all
// defaults applied.
type Environment struct {
	Name              string `json:"name"`
	Target            Target `json:"target"`
	Version           string `json:"version"`
	Host              string `json:"host"`
	Channel           string `json:"channel"`
	VersionConstraint string `json:"versionConstraint,omitempty"`
	// AllowUnlistedVersion: render a version that is not in KnownReleases
	// (a release newer than this cht-gen), with a warning.
	AllowUnlistedVersion bool           `json:"allowUnlistedVersion,omitempty"`
	Registry             string         `json:"registry"`
	Builds               Builds         `json:"builds"`
	CouchDB              CouchDB        `json:"couchdb"`
	API                  Component      `json:"api"`
	Sentinel             Component      `json:"sentinel"`
	HAProxy              HAProxy        `json:"haproxy"`
	Healthcheck          Healthcheck    `json:"healthcheck"`
	UpgradeService       UpgradeService `json:"upgradeService"`
	// Existing: an instance with data already runs from these settings (set
	// by import); its credentials are kept, never generated anew.
	Existing bool `json:"existing,omitempty"`

	// Compose only.
	Project     string  `json:"project,omitempty"`
	ComposePath string  `json:"composePath,omitempty"`
	Network     string  `json:"network,omitempty"`
	Logging     Logging `json:"logging"`
	Nginx       Nginx   `json:"nginx"`
	// DocoCD is the agent of a Compose environment whose gitops is
	// "doco-cd" (GitOps, RepoURL, Branch, PathPrefix and Suspended are
	// shared with Kubernetes); nil otherwise.
	DocoCD *DocoCD `json:"dococd,omitempty"`

	// Kubernetes only.
	Namespace        string      `json:"namespace,omitempty"`
	Cluster          string      `json:"cluster,omitempty"`
	GitOps           string      `json:"gitops,omitempty"`
	RepoURL          string      `json:"repoURL,omitempty"`
	Branch           string      `json:"branch,omitempty"`
	PathPrefix       string      `json:"pathPrefix,omitempty"`
	ArgoCDMode       string      `json:"argocdMode,omitempty"`
	ArgoCDServer     string      `json:"argocdServer,omitempty"`
	RepoSecret       string      `json:"repoSecret,omitempty"`
	Flux             Flux        `json:"flux"`
	AlwaysPullImages bool        `json:"alwaysPullImages,omitempty"`
	Ingress          Ingress     `json:"ingress"`
	Credentials      Credentials `json:"credentials"`
	// Suspended parks the environment: its reconciler object stays, with
	// reconciliation off, so nothing is applied, changed or deleted.
	Suspended bool `json:"suspended,omitempty"`

	// Source is where the environment is declared (set by load).
	Source Position `json:"-"`
	// Defaults are the schema's defaults (set by load, shared by every
	// environment of a load).
	Defaults *Defaults `json:"-"`
}

// DocoCD is the doco-cd agent of a Compose VM (cue/schema.cue, gitops.dococd).
type DocoCD struct {
	Version     string `json:"version"`
	ImageDigest string `json:"imageDigest,omitempty"`
	Interval    int    `json:"interval"` // seconds between polls
}

// GitOpsDocoCD is the gitops value of a Compose environment deployed by a
// doco-cd agent on its VM.
const GitOpsDocoCD = "doco-cd"

// UsesDocoCD reports whether a doco-cd agent on the VM deploys e.
func (e *Environment) UsesDocoCD() bool {
	return e.Target == Compose && e.GitOps == GitOpsDocoCD
}

// SourceFile names the file e is declared in, for headers: the loader's
// position, or environments/<name>.cue for environments built in code.
func (e *Environment) SourceFile() string {
	if e.Source.File != "" {
		return e.Source.File
	}
	return "environments/" + e.Name + ".cue"
}

// Position is a place in an environment file.
type Position struct {
	File string
	Line int
	Col  int
}

func (p Position) String() string {
	if p.File == "" {
		return "-"
	}
	if p.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Defaults are defaults of cue/schema.cue that renderers need apart from
// any one environment: the placeholders of the shared Kubernetes bases,
// which overlays patch only where an environment differs. load reads them
// from the schema, so that Go does not repeat them.
type Defaults struct {
	Builds          Builds
	CouchDBLogLevel string
}

type Builds struct {
	MarketURL string `json:"marketURL"`
	Server    string `json:"server"`
}

// URL is what CHT API reads as BUILDS_URL.
func (b Builds) URL() string { return strings.TrimRight(b.MarketURL, "/") + "/" + b.Server }

type Resources struct {
	Requests *ResourceList `json:"requests,omitempty"`
	Limits   *ResourceList `json:"limits,omitempty"`
}

type ResourceList struct {
	CPU    string `json:"cpu,omitempty"`
	Memory string `json:"memory,omitempty"`
}

type Component struct {
	Resources Resources `json:"resources"`
}

type HAProxy struct {
	Port      int       `json:"port"`
	Resources Resources `json:"resources"`
}

type Healthcheck struct {
	LogLevel  string    `json:"logLevel,omitempty"`
	Resources Resources `json:"resources"`
}

type UpgradeService struct {
	Enabled bool   `json:"enabled"`
	Tag     string `json:"tag"`
}

type CouchDB struct {
	Nodes    int    `json:"nodes"`
	User     string `json:"user"`
	LogLevel string `json:"logLevel"`
	// LogLevelSet: the environment file sets logLevel (load fills it);
	// unset, Compose renders Medic's default of the version.
	LogLevelSet bool      `json:"-"`
	Ulimit      int       `json:"ulimit,omitempty"`
	Resources   Resources `json:"resources"`
	Storage     Storage   `json:"storage"`
	DataPaths   []string  `json:"dataPaths,omitempty"`
	Placement   Placement `json:"placement"`
}

// Clustered reports whether CouchDB runs as a cluster of several nodes.
func (c CouchDB) Clustered() bool { return c.Nodes > 1 }

type Storage struct {
	Size     string    `json:"size"`
	Class    string    `json:"class,omitempty"`
	SubPath  string    `json:"subPath"`
	Existing *Existing `json:"existing,omitempty"`
}

// NodeSubPath is the data subPath of node n (Medic's %d substitution).
func (s Storage) NodeSubPath(n int) string {
	if strings.Contains(s.SubPath, "%d") {
		return strings.ReplaceAll(s.SubPath, "%d", fmt.Sprint(n))
	}
	return s.SubPath
}

type Existing struct {
	HostPaths    []string `json:"hostPaths,omitempty"`
	EBSVolumeIDs []string `json:"ebsVolumeIDs,omitempty"`
	Partition    int      `json:"partition,omitempty"`
}

type Placement struct {
	Nodes       []string     `json:"nodes,omitempty"`
	Tolerations []Toleration `json:"tolerations,omitempty"`
}

type Toleration struct {
	Key      string `json:"key"`
	Operator string `json:"operator"`
	Value    string `json:"value,omitempty"`
	Effect   string `json:"effect"`
}

type Logging struct {
	MaxSize  string `json:"maxSize"`
	MaxFiles int    `json:"maxFiles"`
}

type Nginx struct {
	HTTPPort  int `json:"httpPort"`
	HTTPSPort int `json:"httpsPort"`
	TLS       TLS `json:"tls"`
}

// TLS modes of Medic's nginx image (CERTIFICATE_MODE).
const (
	TLSSelfSigned   = "SELF_SIGNED"
	TLSOwnCert      = "OWN_CERT"
	TLSAutoGenerate = "AUTO_GENERATE"
)

type TLS struct {
	Mode  string `json:"mode"`
	Email string `json:"email"`
	// ACMEEmail registers the Let's Encrypt account (AUTO_GENERATE);
	// empty: Medic's --register-unsafely-without-email.
	ACMEEmail    string `json:"acmeEmail,omitempty"`
	Country      string `json:"country"`
	State        string `json:"state"`
	Locality     string `json:"locality"`
	Organisation string `json:"organisation"`
	Department   string `json:"department"`
	CertDir      string `json:"certDir,omitempty"`
	// CertVolume (OWN_CERT): the certificate is in Medic's cht-ssl named
	// volume, put there by docker cp; no folder is mounted.
	CertVolume bool `json:"certVolume,omitempty"`
}

type Flux struct {
	Interval   string `json:"interval"`
	Timeout    string `json:"timeout"`
	SOPSSecret string `json:"sopsSecret,omitempty"`
	// SourceRef is an existing source to read the overlay from (the
	// bootstrap GitRepository); nil: cht-gen renders a GitRepository.
	SourceRef *SourceRef `json:"sourceRef,omitempty"`
}

// SourceRef names a Flux source object.
type SourceRef struct {
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
}

type Ingress struct {
	Enabled            bool              `json:"enabled"`
	Provider           string            `json:"provider"`
	ClassName          string            `json:"className,omitempty"`
	Annotations        map[string]string `json:"annotations,omitempty"`
	TLSSecretName      string            `json:"tlsSecretName,omitempty"`
	CertificateArn     string            `json:"certificateArn,omitempty"`
	GroupName          string            `json:"groupName,omitempty"`
	Tags               string            `json:"tags,omitempty"`
	StaticIPName       string            `json:"staticIPName,omitempty"`
	ManagedCertificate string            `json:"managedCertificate,omitempty"`
}

type Credentials struct {
	SecretName string `json:"secretName"`
	// SOPSFile is a SOPS-encrypted manifest of the Secret, owned by the
	// user, relative to the overlay folder. cht-gen lists it in the overlay
	// and reads it to check it, but never writes it.
	SOPSFile       string          `json:"sopsFile,omitempty"`
	ExternalSecret *ExternalSecret `json:"externalSecret,omitempty"`
}

type ExternalSecret struct {
	StoreName       string `json:"storeName"`
	StoreKind       string `json:"storeKind"`
	RemoteKey       string `json:"remoteKey"`
	RefreshInterval string `json:"refreshInterval"`
}

// CredentialKeys are the keys of the CouchDB credentials Secret that CHT's
// services read (Medic's cht-couchdb-credentials).
var CredentialKeys = []string{"COUCHDB_USER", "COUCHDB_PASSWORD", "COUCHDB_SECRET", "COUCHDB_UUID", "COUCH_URL"}

// SuspendedNote says what a suspended environment's reconciler does, for
// diff summaries and bump pull-request bodies; "" when e is not suspended.
func (e *Environment) SuspendedNote() string {
	if e.Suspended && e.UsesDocoCD() {
		// doco-cd's reconciliation keeps the last deploy in memory and
		// acts on it (restarts unhealthy containers, redeploys one it
		// cannot restart) until the agent restarts.
		return fmt.Sprintf("suspended: compose/%s has no .doco-cd.yaml; the doco-cd agent on the VM deploys, changes and deletes nothing in project %s once it is restarted (docker compose -f doco-cd/docker-compose.yml restart doco-cd, after the merge), until suspended is removed", e.Name, e.Project)
	}
	if !e.Suspended || e.Target != Kubernetes {
		return ""
	}
	if e.GitOps == "argocd" {
		return fmt.Sprintf("suspended: Application cht-%s has no automated sync; Argo CD applies, changes and deletes nothing in %s until suspended is removed and it is synced", e.Name, e.Namespace)
	}
	return fmt.Sprintf("suspended: Flux Kustomization cht-%s has spec.suspend: true; Flux applies, changes and deletes nothing in %s until suspended is removed", e.Name, e.Namespace)
}
