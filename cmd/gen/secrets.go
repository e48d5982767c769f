package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cht-gen/cht-gen/generator/repo"
	"github.com/cht-gen/cht-gen/generator/secrets"
)

func newSecretsCmd(s *shared) *cobra.Command {
	var ef envFlags
	var out, renderOut string
	var opts secrets.Options
	cmd := &cobra.Command{
		Use:               "secrets ENV",
		ValidArgsFunction: completeEnvironments(1),
		Short:             "Generate fresh CouchDB credentials for an environment",
		Long: `secrets prints new, strong, URL-safe CouchDB credentials for ENV: a .env
body for Compose environments; for Kubernetes ones, the environment's
Namespace exactly as its overlay renders it (labels and annotations), then
the Secret (cht-couchdb-credentials, with COUCH_URL built from them). Store
the output with the operator (on the VM, or encrypted with SOPS), never in
Git in clear. Nothing is written anywhere but stdout or --out.

Kubernetes, first time, in this order:
  1. cht-gen secrets ENV | kubectl apply -f -
     (creates the namespace and the Secret; the reconciler adopts the
     namespace, since it is the one it renders)
  2. let Flux / Argo CD sync the overlay (or apply the cluster folder)
Run step 1 once: running it again replaces the credentials of a running
CouchDB.

With Flux and credentials.sopsFile, the Secret lives in Git, encrypted:
  cht-gen secrets ENV --secret-only | sops --encrypt --age <age1...> \
    --encrypted-regex '^(data|stringData)$' --input-type yaml \
    --output-type yaml /dev/stdin > deploy/kubernetes/overlays/ENV/<sopsFile>
--secret-only prints only the Secret (with the namespace and labels the
overlay gives it), the manifest to encrypt.

An environment that runs already (existing: true, set by cht-gen import)
keeps its credentials: the Secret (Kubernetes) or the VM's .env (Compose).
secrets refuses to print new ones for it unless --replace-running-credentials,
since applying them replaces the credentials of a CouchDB that has data.

--out FILE writes it with mode 0600 and refuses to overwrite a file, or to
write inside the environments directory, the render output (--render-out),
or anywhere else in the Git repository holding the environments.`,
		Example: `  cht-gen secrets district-vm --out ~/cht-secrets/district-vm.env
  cht-gen secrets prod | kubectl apply -f -
  cht-gen secrets prod --secret-only | sops --encrypt --age age1... --encrypted-regex '^(data|stringData)$' --input-type yaml --output-type yaml /dev/stdin > deploy/kubernetes/overlays/prod/secrets/prod.enc.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, envs, err := ef.load(args)
			if err != nil {
				return err
			}
			r, err := secrets.Plan(&envs[0], opts)
			if err == nil && out != "" {
				err = repo.CheckSecretsOut(out, ef.dir, renderOut, args[0])
			}
			if err == nil && out != "" {
				err = whileWriting(func() error { return repo.WriteNew(out, r.Body) })
			}
			return printSecrets(s, r, out, err)
		},
	}
	ef.register(cmd)
	cmd.Flags().StringVar(&out, "out", "", "write to FILE (mode 0600, never overwritten) instead of stdout")
	cmd.Flags().BoolVar(&opts.SecretOnly, "secret-only", false, "Kubernetes: print only the Secret, without the Namespace (to encrypt with SOPS)")
	cmd.Flags().StringVar(&renderOut, "render-out", "deploy", "render's output directory, which --out must stay out of")
	cmd.Flags().BoolVar(&opts.ReplaceRunning, "replace-running-credentials", false, "print new credentials for an environment that runs already (existing: true): they replace a running CouchDB's credentials")
	return cmd
}

// printSecrets prints the note and the credentials on stdout, or says
// where they were written (out), or the refusal.
func printSecrets(s *shared, r *secrets.Result, out string, err error) error {
	if r != nil && r.Note != "" {
		fmt.Fprintf(s.stderr, "note: %s\n", r.Note)
	}
	var running *secrets.RunningError
	switch {
	case errors.As(err, &running): // nothing made: what to keep instead
		fmt.Fprintf(s.stderr, "cht-gen: %s\n", running)
		return exitError{code: 1}
	case err != nil:
		return err
	case out != "":
		fmt.Fprintf(s.stderr, "wrote %s (mode 0600)\n", out)
		return nil
	}
	_, err = s.stdout.Write(r.Body)
	return err
}
