package compose

import (
	"context"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/sirupsen/logrus"

	"github.com/cht-gen/cht-gen/generator/files"
	"github.com/cht-gen/cht-gen/generator/model"
)

// compose-go logs warnings through logrus' global logger; cht-gen reports
// problems as errors instead.
var quietLogrus sync.Once

// DummySecrets fills the .env.example variables for loading, the way an
// operator's .env would.
func DummySecrets() map[string]string {
	return map[string]string{
		"COUCHDB_PASSWORD": "dummy-password",
		"COUCHDB_SECRET":   "dummy-secret",
		"COUCHDB_UUID":     "00000000-0000-4000-8000-000000000000",
	}
}

// LoadProject loads the compose files named (relative to dir inside set) as
// `docker compose -p project -f a -f b config` would, with env as the
// process environment.
func LoadProject(ctx context.Context, set files.Set, dir, workingDir, project string, names []string, env map[string]string) (*types.Project, error) {
	quietLogrus.Do(func() { logrus.SetOutput(io.Discard) })
	details := types.ConfigDetails{WorkingDir: workingDir, Environment: types.Mapping(env)}
	for _, n := range names {
		b, ok := set[path.Join(dir, n)]
		if !ok {
			return nil, fmt.Errorf("%s/%s was not rendered", dir, n)
		}
		details.ConfigFiles = append(details.ConfigFiles, types.ConfigFile{Filename: path.Join(workingDir, n), Content: b})
	}
	p, err := loader.LoadWithContext(ctx, details, func(o *loader.Options) {
		o.SetProjectName(project, true)
	})
	if err != nil {
		return nil, fmt.Errorf("compose project %s (%s): %w", project, strings.Join(names, ", "), err)
	}
	return p, nil
}

// Check loads every compose project rendered for e, as docker compose
// would on the VM with a filled .env, and checks what compose-go accepts
// silently: empty variables, relative host paths (which the upgrade service
// would resolve inside its container), and the service names Medic's
// services find each other by.
func Check(ctx context.Context, e *model.Environment, set files.Set) error {
	dir := Dir(e)
	env := DummySecrets()
	r := renderer{e: e, f: e.Compose()}
	main, err := LoadProject(ctx, set, dir, e.ComposePath, e.Project, []string{CoreFile, r.couchFile()}, env)
	if err != nil {
		return err
	}
	want := append([]string{"api", "haproxy", "nginx", "sentinel"}, e.CouchDBServices()...)
	if inCore, inCouchDB := e.ComposeHealthcheck(); inCore || inCouchDB {
		want = append(want, "healthcheck")
	}
	if e.Has(model.Nouveau) {
		want = append(want, "nouveau")
	}
	sort.Strings(want)
	got := main.ServiceNames()
	sort.Strings(got)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		return fmt.Errorf("compose project %s has services %v, want %v", e.Project, got, want)
	}
	for _, s := range main.Services {
		for k, v := range s.Environment {
			if v == nil || *v == "" {
				if k == "COUCHDB_SECRET" || k == "COUCHDB_UUID" || k == "COUCHDB_PASSWORD" {
					continue
				}
				return fmt.Errorf("compose project %s: service %s: %s is empty", e.Project, s.Name, k)
			}
		}
		for _, vol := range s.Volumes {
			if vol.Type == types.VolumeTypeBind && !strings.HasPrefix(vol.Source, "/") {
				return fmt.Errorf("compose project %s: service %s mounts relative host path %q", e.Project, s.Name, vol.Source)
			}
		}
	}
	if err := checkDocoCD(ctx, e, set); err != nil {
		return err
	}
	for _, extra := range []struct{ file, project string }{
		{UpgradeFile, e.Project + "-upgrade"},
		{CertbotFile, e.Project + "-certbot"},
	} {
		if _, ok := set[path.Join(dir, extra.file)]; !ok {
			continue
		}
		sub := path.Dir(extra.file)
		subSet := files.Set{path.Base(extra.file): set[path.Join(dir, extra.file)]}
		if _, err := LoadProject(ctx, subSet, ".", path.Join(e.ComposePath, sub), extra.project, []string{path.Base(extra.file)}, env); err != nil {
			return err
		}
	}
	return nil
}
