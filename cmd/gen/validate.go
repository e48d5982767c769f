package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cht-gen/cht-gen/generator"
	"github.com/cht-gen/cht-gen/generator/load"
	"github.com/cht-gen/cht-gen/generator/model"
)

func newValidateCmd(s *shared) *cobra.Command {
	var ef envFlags
	var out string
	var of outputFlag
	cmd := &cobra.Command{
		Use:               "validate [ENV...]",
		ValidArgsFunction: completeEnvironments(0),
		Short:             "Check environment files against the schema",
		Long: `validate unifies the environment files with cht-gen's schema and checks
what spans environments (namespaces on a shared cluster, versions), and the
files environments name in the output directory --out (credentials.sopsFile:
present, SOPS-encrypted, the right Secret). It prints one line per
environment when all is well; otherwise every error as
file:line:col: path.to.field: message, and exits 1.`,
		Example: `  cht-gen validate
  cht-gen validate --environments ./envs prod staging`,
		RunE: func(cmd *cobra.Command, args []string) error {
			res, envs, err := validateEnvs(&ef, out, args)
			return printValidate(s, &of, res, envs, err)
		},
	}
	ef.register(cmd)
	registerOut(cmd, &out, "rendered output directory, where credentials.sopsFile files live")
	of.register(cmd)
	return cmd
}

// validateEnvs loads the environments (those named, or all) and checks
// the files they name in the output directory out.
func validateEnvs(ef *envFlags, out string, names []string) (*load.Result, []model.Environment, error) {
	res, envs, err := ef.load(names)
	if err != nil {
		return nil, nil, err
	}
	output, outName, closeOutput, err := outputFS(out)
	if err != nil {
		return nil, nil, err
	}
	defer closeOutput()
	if _, err := generator.UserFiles(envs, output, outName); err != nil {
		return nil, nil, err
	}
	return res, envs, nil
}

// printValidate prints validate's result (or its error) as text or JSON.
func printValidate(s *shared, of *outputFlag, res *load.Result, envs []model.Environment, err error) error {
	switch {
	case err != nil && of.json():
		return failJSON(s, err)
	case err != nil:
		return err
	case of.json():
		return writeJSON(s.stdout, validateJSON(res, envs))
	}
	printWarnings(s, res.Warnings)
	for i := range envs {
		fmt.Fprintln(s.stdout, summary(&envs[i]))
	}
	return nil
}

// summary is the one-line description of a valid environment.
func summary(e *model.Environment) string {
	db := "CouchDB single node"
	if e.CouchDB.Clustered() {
		db = fmt.Sprintf("CouchDB cluster of %d", e.CouchDB.Nodes)
	}
	where := ""
	switch e.Target {
	case model.Compose:
		where = fmt.Sprintf("compose project %s, TLS %s", e.Project, e.Nginx.TLS.Mode)
	case model.Kubernetes:
		where = fmt.Sprintf("cluster %s, namespace %s, %s", e.Cluster, e.Namespace, e.GitOps)
		if e.Suspended {
			where += " (suspended)"
		}
	}
	return fmt.Sprintf("ok %-12s %-10s CHT %-8s %s, %s, host %s (%s)", e.Name, e.Target, e.Version, db, where, e.Host, e.Source)
}
