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

// Environment is one CHT instance, decoded from the CUE schema with all
// defaults applied.
type Environment struct {
	Name              string         `json:"name"`
	Target            Target         `json:"target"`
	Version           string         `json:"version"`
	Host              string         `json:"host"`
	Channel           string         `json:"channel"`
	VersionConstraint string         `json:"versionConstraint,omitempty"`
	Registry          string         `json:"registry"`
	Builds            Builds         `json:"builds"`
	CouchDB           CouchDB        `json:"couchdb"`
	API               Component      `json:"api"`
	Sentinel          Component      `json:"sentinel"`
	HAProxy           HAProxy        `json:"haproxy"`
	Healthcheck       Healthcheck    `json:"healthcheck"`
	UpgradeService    UpgradeService `json:"upgradeService"`

	// Compose only.
	Project     string  `json:"project,omitempty"`
	ComposePath string  `json:"composePath,omitempty"`
	Network     string  `json:"network,omitempty"`
	Logging     Logging `json:"logging"`
	Nginx       Nginx   `json:"nginx"`

	// Kubernetes only.
	Namespace        string      `json:"namespace,omitempty"`
	Cluster          string      `json:"cluster,omitempty"`
	GitOps           string      `json:"gitops,omitempty"`
	RepoURL          string      `json:"repoURL,omitempty"`
	Branch           string      `json:"branch,omitempty"`
	PathPrefix       string      `json:"pathPrefix,omitempty"`
	ArgoCDMode       string      `json:"argocdMode,omitempty"`
	RepoSecret       string      `json:"repoSecret,omitempty"`
	Flux             Flux        `json:"flux"`
	AlwaysPullImages bool        `json:"alwaysPullImages,omitempty"`
	Ingress          Ingress     `json:"ingress"`
	Credentials      Credentials `json:"credentials"`

	// Source is where the environment is declared (set by load).
	Source Position `json:"-"`
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
	Nodes     int       `json:"nodes"`
	User      string    `json:"user"`
	LogLevel  string    `json:"logLevel"`
	Ulimit    int       `json:"ulimit,omitempty"`
	Resources Resources `json:"resources"`
	Storage   Storage   `json:"storage"`
	DataPaths []string  `json:"dataPaths,omitempty"`
	Placement Placement `json:"placement"`
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
}

type Flux struct {
	Interval   string `json:"interval"`
	Timeout    string `json:"timeout"`
	SOPSSecret string `json:"sopsSecret,omitempty"`
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
	SecretName     string          `json:"secretName"`
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
