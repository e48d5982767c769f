package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cht-gen/cht-gen/generator/load"
	"github.com/cht-gen/cht-gen/generator/repo"
)

// enumFlag is a flag whose value is one of a fixed set: pflag checks it
// while parsing (a wrong value is a usage error, exit 2, before any
// command runs) and completion offers the set.
type enumFlag struct {
	value   string
	allowed []string
	hint    string // appended to the refusal, e.g. what the user may have meant
}

func (f *enumFlag) String() string { return f.value }
func (f *enumFlag) Type() string   { return strings.Join(f.allowed, "|") }

func (f *enumFlag) Set(v string) error {
	for _, a := range f.allowed {
		if v == a {
			f.value = v
			return nil
		}
	}
	return fmt.Errorf("want %s%s", orList(f.allowed), f.hint)
}

// register adds the flag to cmd with its completion.
func (f *enumFlag) register(cmd *cobra.Command, name, short, usage string) {
	cmd.Flags().VarP(f, name, short, usage)
	cmd.RegisterFlagCompletionFunc(name, func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return f.allowed, cobra.ShellCompDirectiveNoFileComp
	})
}

// orList is "a, b or c".
func orList(vs []string) string {
	if len(vs) == 1 {
		return vs[0]
	}
	return strings.Join(vs[:len(vs)-1], ", ") + " or " + vs[len(vs)-1]
}

// outputFlag is -o/--output text|json, the output format as kubectl, helm,
// flux and timoni name it (docs/commands.md, "Output for machines",
// documents the JSON shapes). The output folder is --out, which has no
// short form.
type outputFlag struct{ enumFlag }

func (o *outputFlag) register(cmd *cobra.Command) {
	o.enumFlag = enumFlag{value: "text", allowed: []string{"text", "json"},
		hint: " (-o is the output format; the output folder is --out DIR)"}
	o.enumFlag.register(cmd, "output", "o", "output format: text, or json for other tools (shapes: docs/commands.md)")
}

func (o *outputFlag) json() bool { return o.value == "json" }

// channelFlag is --channel stable|beta.
type channelFlag struct{ enumFlag }

func (c *channelFlag) register(cmd *cobra.Command) {
	c.enumFlag = enumFlag{value: "stable", allowed: []string{"stable", "beta"}}
	c.enumFlag.register(cmd, "channel", "", "stable or beta (beta includes pre-releases)")
}

// registerOut adds the output-folder flag, --out DIR, with folder
// completion and no short form (-o is the output format).
func registerOut(cmd *cobra.Command, out *string, usage string) {
	cmd.Flags().StringVar(out, "out", "deploy", usage)
	cmd.MarkFlagDirname("out")
}

// completeEnvironments completes environment names from the directory the
// command line names (--environments), leaving out those already typed;
// at most max names are taken (0: any number).
func completeEnvironments(max int) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if max > 0 && len(args) >= max {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		dir, _ := cmd.Flags().GetString("environments")
		if dir == "" {
			dir = "environments"
		}
		if info, err := os.Stat(dir); err != nil || !info.IsDir() {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		res, err := load.Load(os.DirFS(dir), repo.DisplayPath(dir))
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		typed := map[string]bool{}
		for _, a := range args {
			typed[a] = true
		}
		var names []string
		for _, e := range res.Environments {
			if !typed[e.Name] && strings.HasPrefix(e.Name, toComplete) {
				names = append(names, e.Name)
			}
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	}
}
