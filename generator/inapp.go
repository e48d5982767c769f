package generator

import (
	"errors"
	"fmt"
	"io/fs"
	"path"

	"github.com/cht-gen/cht-gen/generator/compose"
	"github.com/cht-gen/cht-gen/generator/files"
	"github.com/cht-gen/cht-gen/generator/model"
)

// InAppUpgradeError is a Compose folder whose CHT files Medic's upgrade
// service rewrote for a newer CHT than the environment names (an
// "Upgrade" click in the admin app). Rendering would put the older
// version back: a downgrade of data CHT already migrated, and, from 5.x
// to 4.x, nouveau gone.
type InAppUpgradeError struct {
	Env     string
	Source  model.Position
	File    string // as shown to the user
	Running string // the version the rewritten file runs
	Version string // the environment's
}

func (e *InAppUpgradeError) Error() string {
	return fmt.Sprintf("%s: environments.%s.version: %s runs CHT %s, written by Medic's upgrade service after an \"Upgrade\" in the admin app; the environment says %s, and rendering it would downgrade CHT (CouchDB's data is already migrated%s). Record the upgrade in Git: cht-gen bump %s --to %s",
		e.Source, e.Env, e.File, e.Running, e.Version, nouveauNote(e.Running, e.Version), e.Env, e.Running)
}

func nouveauNote(running, version string) string {
	r, errR := model.ParseVersion(running)
	v, errV := model.ParseVersion(version)
	if errR == nil && errV == nil && r.Major() >= 5 && v.Major() < 5 {
		return "; 4.x files also drop nouveau"
	}
	return ""
}

// InAppUpgrades checks, in output (the existing output directory,
// read-only; outName names it), that no Compose environment's cht-core.yml
// was rewritten by Medic's upgrade service for a newer CHT than the
// environment's version. Files cht-gen wrote (its header) and missing
// files are fine; every problem is reported, joined.
func InAppUpgrades(envs []model.Environment, output fs.FS, outName string) error {
	if output == nil {
		return nil
	}
	var errs []error
	for i := range envs {
		e := &envs[i]
		if e.Target != model.Compose {
			continue
		}
		p := compose.Dir(e) + "/" + compose.CoreFile
		b, err := fs.ReadFile(output, p)
		if err != nil || files.Marked(b) {
			continue // not there, unreadable (the writer reports it), or ours
		}
		running, ok := model.ImageVersion(compose.RunningImage(b))
		if !ok {
			continue
		}
		r, err1 := model.ParseVersion(running)
		v, err2 := model.ParseVersion(e.Version)
		if err1 != nil || err2 != nil || !r.GreaterThan(v) {
			continue // an older or equal version: restoring it is no downgrade
		}
		errs = append(errs, &InAppUpgradeError{Env: e.Name, Source: e.Source, File: path.Join(outName, p), Running: running, Version: e.Version})
	}
	return errors.Join(errs...)
}
