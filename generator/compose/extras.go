package compose

import (
	"fmt"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/template"
	"go.yaml.in/yaml/v3"

	"github.com/cht-gen/cht-gen/generator/files"
	"github.com/cht-gen/cht-gen/generator/model"
)

// upgradeService is Medic's cht-upgrade-service compose file, with the
// folder it manages and the per-node variables of an N-node cluster.
// defaults holds every ${VAR:-default} of the rendered CHT files: the
// upgrade service carries each as its own default (see settingDefaults).
func (r renderer) upgradeService(defaults map[string]string) files.Map {
	e := r.e
	env := []string{
		"COUCHDB_USER", "COUCHDB_PASSWORD", "COUCHDB_SECRET", "COUCHDB_UUID", "COUCHDB_DATA",
		"COUCHDB_SERVERS", "CLUSTER_PEER_IPS", "SVC_NAME",
	}
	for i := 1; i <= max(3, e.CouchDB.Nodes); i++ {
		env = append(env, fmt.Sprintf("SVC%d_NAME", i))
	}
	env = append(env,
		"COUCHDB_LOG_LEVEL", "MARKET_URL_READ", "BUILDS_SERVER", "NGINX_HTTP_PORT", "NGINX_HTTPS_PORT",
		"CERTIFICATE_MODE", "SSL_VOLUME_MOUNT_PATH", "SSL_CERT_FILE_PATH", "SSL_KEY_FILE_PATH",
		"COMMON_NAME", "EMAIL", "COUNTRY", "STATE", "LOCALITY", "ORGANISATION", "DEPARTMENT",
		"DOCKER_CONFIG=/config",
		"CHT_COMPOSE_PROJECT_NAME="+v("CHT_COMPOSE_PROJECT_NAME", e.Project),
		"CHT_NETWORK="+v("CHT_NETWORK", e.Network),
		"DOCKER_CONFIG_PATH="+v("DOCKER_CONFIG_PATH", e.ComposePath+"/docker-config"),
		"CHT_COMPOSE_PATH="+v("CHT_COMPOSE_PATH", e.ComposePath),
		"HEALTHCHECK_LOG_LEVEL",
	)
	for i := 1; i <= max(3, e.CouchDB.Nodes); i++ {
		env = append(env, fmt.Sprintf("DB%d_DATA", i))
	}
	env = withDefaults(env, defaults)
	return files.Map{
		{"services", files.Map{
			{"cht-upgrade-service", files.Map{
				{"restart", "always"},
				{"image", UpgradeServiceImage + ":" + literal(e.UpgradeService.Tag)},
				{"volumes", []string{
					v("DOCKER_HOST", "/var/run/docker.sock") + ":/var/run/docker.sock",
					v("DOCKER_CONFIG_PATH", e.ComposePath+"/docker-config") + ":/config",
					v("CHT_COMPOSE_PATH", e.ComposePath) + ":/docker-compose",
				}},
				{"networks", []string{"cht-net"}},
				{"environment", env},
			}},
		}},
		{"networks", r.network()},
	}
}

// settingDefaults reads the variables with a default (${VAR:-default},
// the default as written, so still escaped for Compose) out of the
// rendered CHT files of dir.
//
// Why: cht-gen's .env holds only the secrets; every setting is a default
// in its files. An in-app "Upgrade" makes Medic's upgrade service
// overwrite those files with Medic's and run them with the upgrade
// service's environment, where Medic's defaults would apply: data in
// ./srv (a new, empty folder inside its container), COUCHDB_SERVERS
// "couchdb", ports 80/443, Medic's certificate name.
func settingDefaults(set files.Set, dir string, names ...string) (map[string]string, error) {
	defaults := map[string]string{}
	for _, n := range names {
		doc, err := rawModel(set[dir+"/"+n], n)
		if err != nil {
			return nil, fmt.Errorf("%s/%s: %w", dir, n, err)
		}
		for name, variable := range template.ExtractVariables(doc, nil) {
			if variable.DefaultValue != "" {
				defaults[name] = variable.DefaultValue
			}
		}
	}
	return defaults, nil
}

// rawModel is a compose file as written: not interpolated, normalized or
// validated. A plain YAML decode: compose-go's LoadModelWithContext, even
// with every step skipped, cost a quarter of a clean render --check (20
// Compose environments, two files each), and what is read here (the
// variables' defaults, the api image) is in the text as written.
func rawModel(b []byte, name string) (map[string]any, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return doc, nil
}

// RunningImage is the image of the api service of a cht-core.yml as
// written (Medic's or cht-gen's), or "" when it has none.
func RunningImage(b []byte) string {
	doc, err := rawModel(b, CoreFile)
	if err != nil {
		return ""
	}
	services, _ := doc["services"].(map[string]any)
	api, _ := services["api"].(map[string]any)
	image, _ := api["image"].(string)
	return image
}

// withDefaults gives each passed-through variable of env that has a
// default its default, and appends the other defaulted variables (sorted),
// so the upgrade service's docker compose sees what cht-gen's files mean
// whichever files it runs.
func withDefaults(env []string, defaults map[string]string) []string {
	seen := map[string]bool{}
	out := make([]string, 0, len(env)+len(defaults))
	for _, item := range env {
		name, _, set := strings.Cut(item, "=")
		seen[name] = true
		if def, ok := defaults[name]; ok && !set {
			item = name + "=${" + name + ":-" + def + "}"
		}
		out = append(out, item)
	}
	var extra []string
	for name := range defaults {
		if !seen[name] {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	for _, name := range extra {
		out = append(out, name+"=${"+name+":-"+defaults[name]+"}")
	}
	return out
}

// certbot is Medic's documented certbot project (cht-docs "Adding TLS
// certificates in CHT"): a one-shot webroot run that leaves the certificate
// in the cht-ssl volume, where nginx's deploy.sh (CERTIFICATE_MODE
// AUTO_GENERATE) installs it. The command is an argument list, never a
// shell line: the domain comes from DOMAIN (default: host) and the e-mail,
// when nginx.tls.acmeEmail sets one, is a single checked argument.
// Medic's $STAGING word is left out: an empty list element would reach
// certbot as an empty argument.
func (r renderer) certbot() files.Map {
	e := r.e
	command := []files.Quoted{"certonly", "--debug",
		"--deploy-hook", "/etc/nginx/private/deploy.sh",
		"--webroot", "-w", "/etc/nginx/private/certbot/",
		"--domain", files.Quoted(v("DOMAIN", e.Host)),
		"--non-interactive", "--key-type", "rsa", "--agree-tos"}
	if email := e.Nginx.TLS.ACMEEmail; email != "" {
		command = append(command, "--email", files.Quoted(literal(email)))
	} else {
		command = append(command, "--register-unsafely-without-email")
	}
	return files.Map{
		{"services", files.Map{
			{"certbot", files.Map{
				{"container_name", "certbot"},
				{"hostname", "certbot"},
				{"image", "certbot/certbot"},
				{"volumes", []string{"ssl-storage:/etc/nginx/private/", "ssl-storage:/var/log/letsencrypt/"}},
				{"command", command},
			}},
		}},
		{"volumes", files.Map{
			{"ssl-storage", files.Map{{"name", v("CHT_SSL_VOLUME", e.Project+"_cht-ssl")}, {"external", true}}},
		}},
	}
}

// envExample lists every variable the files need without a default, and
// how to produce it. It never holds values.
func (r renderer) envExample() string {
	e := r.e
	var b strings.Builder
	how := `# Copy to .env on the VM (never commit it) and fill the secrets, e.g. with:
#   cht-gen secrets ` + e.Name + ` --out .env
`
	if e.Existing {
		how = `# This instance runs already (existing: true): keep the VM's .env as it is,
# its CouchDB has data under those credentials. This file only lists them.
`
	}
	b.WriteString(r.header + how + `# Use URL-safe values (letters, digits, - and _): COUCHDB_PASSWORD goes
# verbatim into COUCH_URL, where ':', '@', '/', '%' or spaces break it
# (cht-core #8599).

# CouchDB admin password (secret).
COUCHDB_PASSWORD=
# Shared secret CouchDB nodes use for cookies and clustering (secret).
COUCHDB_SECRET=
# UUID identifying this CouchDB server/cluster, e.g. from uuidgen.
COUCHDB_UUID=

# Everything else is set in Git (environments/*.cue) and rendered as the
# default of each ${VAR:-default}. Setting it here overrides Git: don't,
# except while debugging.
`)
	fmt.Fprintf(&b, "# COUCHDB_USER=%s\n", e.CouchDB.User)
	return b.String()
}

func (r renderer) readme() string {
	e := r.e
	fileArgs := "-f " + CoreFile + " -f " + r.couchFile()
	var b strings.Builder
	b.WriteString(files.MarkdownHeader(r.source))
	fmt.Fprintf(&b, "# %s: CHT %s on Docker Compose\n\n", e.Name, e.Version)
	fmt.Fprintf(&b, "Host `%s`, CouchDB %s, TLS `%s`. Rendered by cht-gen from Git; change the\nenvironment file, not these files.\n\n", e.Host, nodes(e), e.Nginx.TLS.Mode)
	fmt.Fprintf(&b, "## First start on the VM\n\n1. Put this folder at `%s` (clone the repository and link or copy it):\n   the upgrade service and the data paths expect that absolute path.\n", e.ComposePath)
	if e.Existing {
		fmt.Fprintf(&b, "2. Keep the VM's `%s/.env` as it is: this instance runs already (`existing: true`)\n   and its CouchDB has data under those credentials. Never replace it with `cht-gen secrets`\n   (it refuses) or `.env.example`.\n", e.ComposePath)
	} else {
		fmt.Fprintf(&b, "2. Create the secrets once, kept only on the VM: `cht-gen secrets %s --out %s/.env`\n   (or copy `.env.example` to `.env` and fill it).\n", e.Name, e.ComposePath)
	}
	if e.Nginx.TLS.Mode == model.TLSOwnCert {
		if e.Nginx.TLS.CertVolume {
			fmt.Fprintf(&b, "3. The certificate (cert.pem, key.pem) is in the `%s_cht-ssl` volume, where Medic's\n   guide puts it with `docker cp`; nothing to do for a VM that has it.\n", e.Project)
		} else {
			fmt.Fprintf(&b, "3. Put the certificate chain at `%s/cert.pem` and its key at `%s/key.pem`\n   (PEM; the folder backs nginx's `cht-ssl` volume, mounted at /etc/nginx/private/).\n", e.Nginx.TLS.CertDir, e.Nginx.TLS.CertDir)
		}
	} else {
		fmt.Fprintf(&b, "3. TLS: `%s` needs no files.\n", e.Nginx.TLS.Mode)
	}
	if e.UsesDocoCD() {
		b.WriteString(r.dococdReadme())
		if e.Has(model.Nouveau) {
			b.WriteString("\n" + r.nouveauReadme())
		}
		return b.String()
	}
	if e.UpgradeService.Enabled {
		fmt.Fprintf(&b, "4. Start the upgrade service, which starts CHT:\n\n   ```\n   cd %s\n   docker compose --env-file .env -f upgrade-service/docker-compose.yml up -d\n   ```\n\n", e.ComposePath)
	}
	fmt.Fprintf(&b, "   Or start CHT directly:\n\n   ```\n   cd %s\n   docker compose -p %s %s up -d\n   ```\n\n", e.ComposePath, e.Project, fileArgs)
	if e.Nginx.TLS.Mode == model.TLSAutoGenerate {
		fmt.Fprintf(&b, "5. Let's Encrypt: once nginx runs, `docker compose -p %s-certbot -f certbot/docker-compose.yml up`,\n   then `docker compose -p %s exec nginx nginx -s reload`; repeat weekly from cron (certbot renews only when due).\n\n", e.Project, e.Project)
	}
	if e.Has(model.Nouveau) {
		b.WriteString(r.nouveauReadme())
	}
	if s := model.MoveTo5Readme(e); s != "" {
		b.WriteString(strings.TrimPrefix(s, "\n") + "\n")
	}
	fmt.Fprintf(&b, `## Following the repository

There is no reconciler on a VM. The upgrade path is a reviewed change in Git:
`+"`cht-gen bump %s --to <version>`"+` opens a pull request; once merged, on the VM:

`+"```"+`
git -C <clone> pull --ff-only
cd %s && docker compose -p %s %s up -d --remove-orphans
`+"```"+`

`+"`--remove-orphans`"+` stops the services a version no longer has, which a plain
`+"`up -d`"+` leaves running on the old image (from 4.x to 5.x, a single node's
healthcheck).

A scheduled `+"`git pull`"+` plus that command (cron or a systemd timer) keeps the VM
on what Git says. Upgrading from the CHT admin app instead makes the
upgrade service rewrite these files with Medic's (it keeps this folder's data
folders and settings): the next `+"`git pull`"+` then conflicts, and `+"`cht-gen render`"+`
refuses to put the older version back. Record the version the app installed:
`+"`cht-gen bump %s --to <that version>`"+`, whose render restores these files.
Better, upgrade through Git.
`, e.Name, e.ComposePath, e.Project, fileArgs, e.Name)
	return b.String()
}

func nodes(e *model.Environment) string {
	if e.CouchDB.Clustered() {
		return fmt.Sprintf("cluster of %d (%s)", e.CouchDB.Nodes, strings.Join(e.CouchDBServices(), ", "))
	}
	return "single node"
}

// gitignore keeps out of Git every place in the rendered folder where a
// secret or a host's data can land when the folder is composePath on the
// VM: the .env files, certificates and keys (certs/, OWN_CERT's certDir),
// the upgrade service's Docker config (registry logins), CouchDB's data.
func (r renderer) gitignore() string {
	lines := []string{".env", "*.env", "!.env.example", "srv*/", "certs/", "*.pem", "*.key", "*.crt", "*.p12", "*.pfx", "docker-config/"}
	inside := func(p string) {
		base := strings.TrimRight(r.e.ComposePath, "/") + "/"
		if rel, ok := strings.CutPrefix(p, base); ok && rel != "" {
			lines = append(lines, "/"+strings.TrimRight(rel, "/")+"/")
		}
	}
	for _, p := range r.e.CouchDB.DataPaths {
		inside(p)
	}
	if r.e.Nginx.TLS.CertDir != "" {
		inside(r.e.Nginx.TLS.CertDir)
	}
	seen := map[string]bool{}
	var b strings.Builder
	b.WriteString(r.header + "# Secrets and data stay on the VM, never in Git.\n")
	for _, l := range lines {
		if !seen[l] {
			seen[l] = true
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}
