package load_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	cueload "cuelang.org/go/cue/load"
)

// TestCueVet_SchemaModuleAndExamples does what `cue vet -c` does on the
// cue/ module with the example environments, through CUE's own loader.
func TestCueVet_SchemaModuleAndExamples(t *testing.T) {
	ctx := cuecontext.New()
	insts := cueload.Instances([]string{"."}, &cueload.Config{Dir: filepath.Join("..", "..", "cue")})
	if err := insts[0].Err; err != nil {
		t.Fatalf("cue/ does not load as a CUE module: %v", err)
	}
	schema := ctx.BuildInstance(insts[0])
	if err := schema.Validate(); err != nil {
		t.Fatalf("cue vet cue/: %v", err)
	}
	var srcs []string
	matches, _ := filepath.Glob(filepath.Join("..", "..", "environments", "*.cue"))
	for _, m := range matches {
		b, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, strings.Replace(string(b), "package environments", "", 1))
	}
	envs := ctx.CompileString(strings.Join(srcs, "\n"), cue.Filename("environments"))
	if err := envs.Err(); err != nil {
		t.Fatal(err)
	}
	v := schema.LookupPath(cue.ParsePath("#Root")).Unify(envs)
	if err := v.Validate(cue.Concrete(true), cue.All()); err != nil {
		t.Fatalf("cue vet -c of the examples against cue/: %v", err)
	}
}
