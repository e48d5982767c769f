package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cht-gen/cht-gen/generator/importer"
)

func newImportCmd(s *shared) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Create environment files from what hosts run today (Helm values, Compose folders)",
		Long: `import writes environment files from existing deployments, so a host with
dozens of instances does not describe them by hand. Every key it cannot
express is listed on stderr with what it did; nothing is dropped silently.
Passwords, secrets and UUIDs are never written.`,
		Example: `  cht-gen import helm --cluster moh-eks prod.yaml staging.yaml
  cht-gen import compose ./vm1 ./vm2`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newImportHelmCmd(s), newImportComposeCmd(s))
	return cmd
}

func newImportHelmCmd(s *shared) *cobra.Command {
	var (
		ef    envFlags
		opts  importer.HelmOptions
		force bool
	)
	cmd := &cobra.Command{
		Use:   "helm VALUES.yaml...",
		Short: "Create Kubernetes environments from Helm values of Medic's charts",
		Long: `import helm reads values files of Medic's cht-chart-4x or the CHT 5.x chart,
one environment per file, and writes them into <environments>/<cluster>.cue.
Export a running release's values with:

  helm get values RELEASE -n NAMESPACE -o yaml > RELEASE.yaml

It maps the version (cht_image_tag), CouchDB node count, storage size and
class, pre-existing volumes (EBS ids, host paths, subPath), node placement,
tolerations, the ingress (eks: ALB, k3s-k3d: traefik, gke: GCE) and its
host and annotations, the registry, cache_images and the upgrade service
tag. Keys the schema cannot express are listed on stderr as
file:line:col: key: what it did. Chart defaults apply to keys the file does
not set, as they did for the release.

The file is validated with the rest of the environments directory before
it is written; an existing file or environment name is never replaced
unless --force (which names what it replaces).`,
		Example: `  cht-gen import helm --cluster moh-eks prod.yaml staging.yaml
  cht-gen import helm --name uat --cluster moh-eks --cht-version 5.2.0 uat-values.yaml`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Name != "" && len(args) > 1 {
				return usage("--name names one environment: give one values file")
			}
			if !importer.ValidName(opts.Cluster) {
				return usage(fmt.Sprintf("--cluster %q is not a valid name (lower-case DNS label)", opts.Cluster))
			}
			r, err := importer.PlanHelm(ef.dir, args, opts, force)
			return printImport(s, r, err)
		},
	}
	ef.register(cmd)
	cmd.Flags().StringVar(&opts.Name, "name", "", "environment name (default: project_name, else namespace, else the file name)")
	cmd.Flags().StringVar(&opts.Cluster, "cluster", "default", "cluster the environments run on; they are written to <environments>/<cluster>.cue")
	cmd.Flags().StringVar(&opts.Version, "cht-version", "", "CHT version when cht_image_tag holds none (or to override it)")
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing <cluster>.cue")
	return cmd
}

func newImportComposeCmd(s *shared) *cobra.Command {
	var (
		ef                        envFlags
		names, hosts, composePath []string
		gitops                    string
		force                     bool
	)
	cmd := &cobra.Command{
		Use:   "compose DIR...",
		Short: "Create Compose environments from running VMs' CHT folders",
		Long: `import compose reads a VM's CHT folder as Medic's install guide lays it out
(cht-core.yml and cht-couchdb.yml or cht-couchdb-clustered.yml, in DIR or
DIR/compose; upgrade-service/docker-compose.yml; the .env files) and writes
one environment per folder into <environments>/<name>.cue.

It loads the files with compose-go as docker compose would, then maps the
version (image tags), CouchDB nodes (services), data folders (volumes),
composePath (CHT_COMPOSE_PATH), TLS mode and certificate subject, nginx
ports, log settings, the compose project name, network, and the other
.env settings the schema has. Everything else is listed on stderr as
file:line: key: what it did. COUCHDB_PASSWORD, COUCHDB_SECRET and
COUCHDB_UUID are never read into the file: keep the VM's .env.

Copy the folder with its .env files: without them, or without
CHT_COMPOSE_PATH (or --compose-path), where the data is on the VM cannot
be known and nothing is written. composePath is always the VM's path,
never the path of the copy imported.

VMs built from Medic's guide share the project name cht and the host
test-nginx.dev.medicmobile.org: name each folder with --name NAME=DIR and
give its host with --host NAME=HOST (with one folder, --name NAME and
--host HOST). The environments keep each VM's project (cht), so the
rendered files replace its containers instead of starting a second set.

Files are validated with the rest of the environments directory before
anything is written; existing files are never replaced unless --force.`,
		Example: `  scp -r vm1:/home/ubuntu/cht ./vm1 && cht-gen import compose ./vm1
  cht-gen import compose --name district-a --host a.example.org ./vm1
  cht-gen import compose --name a=./vm1 --name b=./vm2 --host a=a.example.org --host b=b.example.org ./vm1 ./vm2`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			perDir, err := composeFolderOptions(args, names, hosts, composePath)
			if err != nil {
				return err
			}
			for i := range perDir {
				perDir[i].GitOps = gitops
			}
			r, err := importer.PlanCompose(ef.dir, args, perDir, force)
			return printImport(s, r, err)
		},
	}
	ef.register(cmd)
	cmd.Flags().StringArrayVar(&names, "name", nil, "environment name: NAME with one folder, or NAME=DIR, once per folder (default: CHT_COMPOSE_PROJECT_NAME, else the folder name)")
	cmd.Flags().StringArrayVar(&hosts, "host", nil, "host name (COMMON_NAME): HOST with one folder, or NAME=HOST for the folder named NAME by --name (default: the .env's COMMON_NAME)")
	cmd.Flags().StringArrayVar(&composePath, "compose-path", nil, "the compose folder's absolute path on the VM when its .env has no CHT_COMPOSE_PATH: PATH with one folder, or NAME=PATH")
	cmd.Flags().StringVar(&gitops, "gitops", "", "doco-cd: an agent on the VM deploys it from Git (default: the fleet's gitops.compose)")
	cmd.Flags().BoolVar(&force, "force", false, "replace existing <name>.cue files")
	return cmd
}

// composeFolderOptions gives each folder of args its options from the
// --name, --host and --compose-path values: plain with one folder, else
// NAME=DIR (--name) and NAME=VALUE (--host, --compose-path, NAME given
// by --name). Every problem is a usage error.
func composeFolderOptions(args, names, hosts, paths []string) ([]importer.ComposeOptions, error) {
	opts := make([]importer.ComposeOptions, len(args))
	byName := map[string]int{}
	for _, n := range names {
		name, dir, paired := strings.Cut(n, "=")
		switch {
		case !paired && len(args) == 1 && len(names) == 1:
			opts[0].Name = name
			byName[name] = 0
			continue
		case !paired:
			return nil, usage(fmt.Sprintf("--name %q: with several folders, name each as --name NAME=DIR", n))
		}
		i := slices.IndexFunc(args, func(a string) bool { return filepath.Clean(a) == filepath.Clean(dir) })
		switch {
		case i < 0:
			return nil, usage(fmt.Sprintf("--name %s: %s is not one of the folders given (%s)", n, dir, strings.Join(args, ", ")))
		case opts[i].Name != "":
			return nil, usage(fmt.Sprintf("--name %s: %s is already named %s", n, dir, opts[i].Name))
		}
		if _, dup := byName[name]; dup {
			return nil, usage(fmt.Sprintf("--name %s: %s names another folder too", n, name))
		}
		opts[i].Name, byName[name] = name, i
	}
	set := func(flag string, values []string, field func(*importer.ComposeOptions) *string) error {
		for _, val := range values {
			name, v, paired := strings.Cut(val, "=")
			if !paired && len(args) == 1 && len(values) == 1 {
				*field(&opts[0]) = val
				continue
			}
			i, ok := byName[name]
			if !paired || !ok {
				return usage(fmt.Sprintf("--%s %q: with several folders give NAME=VALUE, NAME one given by --name NAME=DIR", flag, val))
			}
			*field(&opts[i]) = v
		}
		return nil
	}
	if err := set("host", hosts, func(o *importer.ComposeOptions) *string { return &o.Host }); err != nil {
		return nil, err
	}
	if err := set("compose-path", paths, func(o *importer.ComposeOptions) *string { return &o.ComposePath }); err != nil {
		return nil, err
	}
	return opts, nil
}

// printImport prints an import's notes, then writes its files under the
// writing lock and names each, or prints every error and writes nothing.
func printImport(s *shared, r *importer.Result, err error) error {
	for _, n := range r.Notes {
		fmt.Fprintln(s.stderr, n.String())
	}
	if err != nil {
		return err
	}
	if len(r.Errors) == 0 {
		err = whileWriting(r.Write)
	}
	var failed importer.Errors
	switch {
	case len(r.Errors) > 0:
		failed = r.Errors
	case errors.As(err, &failed):
	case err != nil:
		return err
	default:
		printImported(s, r)
		return nil
	}
	for _, n := range failed {
		fmt.Fprintln(s.stderr, n.String())
	}
	fmt.Fprintf(s.stderr, "cht-gen: %d error(s); nothing written\n", len(failed))
	return exitError{code: 1}
}

// printImported names each file written (each environment, for Helm's
// one file per cluster) and what it replaced.
func printImported(s *shared, r *importer.Result) {
	for _, w := range r.Written {
		if len(w.Replaced) > 0 {
			fmt.Fprintf(s.stderr, "replaced %s (it declared %v)\n", w.Path, w.Replaced)
		}
		if r.Source == importer.FromComposeFolder {
			fmt.Fprintf(s.stdout, "imported %s\n", w.Path)
			continue
		}
		for _, e := range w.Envs {
			fmt.Fprintf(s.stdout, "imported %s into %s\n", e, w.Path)
		}
	}
}
