package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cht-gen/cht-gen/generator"
	"github.com/cht-gen/cht-gen/generator/handover"
)

func newHandoverCmd(s *shared) *cobra.Command {
	var (
		ef     envFlags
		output string
		opts   handover.Options
	)
	cmd := &cobra.Command{
		Use:   "handover ENV",
		Short: "Print the steps that move a running instance under the reconciler, in place",
		Long: `handover prints, for one environment whose CHT instance already runs (an
imported one), the steps that move it under the reconciler without
recreating anything it holds, as a POSIX sh script to read and then run.

Kubernetes (a Helm release of Medic's chart, kubectl and helm on the current
context): the script first checks that what runs is what the environment
describes (namespace, claims bound to the volumes it names, their class and
size, the credentials Secret's keys, nothing holding data among what Helm
made that the overlay does not render) and stops, changing nothing, naming
the first difference. Then it sets every data volume's reclaim policy to
Retain, marks the claims, volumes and the Secret so that Flux and Argo CD
never prune them, removes what Helm made that the overlay does not render
(the upgrade service on 4.x), drops Helm's ownership labels and makes Helm
forget the release without deleting anything. The credentials Secret is
kept as it is. The reconciler then adopts every object in place.

Compose (a VM run from Medic's files, docker on the VM): run the script on
the VM from the root of the hosting repository's checkout; it checks the
project, data folders, volumes and the VM's .env, then starts the rendered
folder in place (docs/adopt-compose.md).

Every step is idempotent: run the script again after a failure or a
success. docs/adopt-kubernetes.md is the whole Kubernetes procedure.`,
		Example: `  cht-gen handover prod > handover-prod.sh && less handover-prod.sh && sh handover-prod.sh
  cht-gen handover prod --release cht-prod-2024
  cht-gen handover prod -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output != "text" && output != "json" {
				return usage(fmt.Sprintf("--output %q: want text or json", output))
			}
			_, envs, err := ef.load(args)
			if err != nil {
				return err
			}
			e := &envs[0]
			plan, err := generator.Handover(e, opts)
			if err != nil {
				return err
			}
			if !e.Existing {
				fmt.Fprintf(s.stderr, "note: %s does not say existing: true (cht-gen import sets it): hand over only an instance that runs from these settings\n", e.Name)
			}
			if output == "json" {
				return writeJSON(s.stdout, plan)
			}
			_, err = s.stdout.Write(plan.Script())
			return err
		},
	}
	ef.register(cmd)
	cmd.Flags().StringVarP(&output, "output", "o", "text", "text (the sh script) or json (the steps as data)")
	cmd.Flags().StringVar(&opts.Kubernetes.Release, "release", "", "Kubernetes: the Helm release running the instance (default: the environment's name)")
	// Compose (generator/handover.ComposeOptions, h-vm's side).
	cmd.Flags().StringVar(&opts.Compose.Out, "out", "deploy", "Compose: render's output folder, relative to the root of the VM's checkout, where the script runs")
	cmd.Flags().StringVar(&opts.Compose.EnvFile, "env-file", "", "Compose: the VM's .env, read by docker compose, never written (default: <composePath>/.env, else Medic's upgrade-service/.env)")
	return cmd
}
