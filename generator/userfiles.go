package generator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"

	"github.com/cht-gen/cht-gen/generator/files"
	"github.com/cht-gen/cht-gen/generator/kustomize"
	"github.com/cht-gen/cht-gen/generator/model"
	"github.com/cht-gen/cht-gen/generator/secrets"
)

// UserFileError is a file an environment names in the output tree (its
// credentials.sopsFile) that is missing or not what it must be.
type UserFileError struct {
	Env    string
	Source model.Position
	Field  string
	Err    error
}

func (e *UserFileError) Error() string {
	return fmt.Sprintf("%s: environments.%s.%s: %v", e.Source, e.Env, e.Field, e.Err)
}

// UserFiles reads the files environments name inside the output tree but
// cht-gen does not own (credentials.sopsFile), from output (the output
// directory, read-only; outName is how messages name it), and checks each.
// They are returned to build the overlays with; they are never written.
// Every problem is reported, joined.
func UserFiles(envs []model.Environment, output fs.FS, outName string) (files.Set, error) {
	out := files.Set{}
	var errs []error
	for i := range envs {
		e := &envs[i]
		f := e.Credentials.SOPSFile
		if e.Target != model.Kubernetes || f == "" {
			continue
		}
		p := kustomize.OverlayDir(e) + "/" + f
		shown := path.Join(outName, p)
		fail := func(format string, args ...any) {
			errs = append(errs, &UserFileError{Env: e.Name, Source: e.Source, Field: "credentials.sopsFile", Err: fmt.Errorf(format, args...)})
		}
		if err := files.CheckPath(p); err != nil {
			fail("%v", err)
			continue
		}
		if output == nil {
			fail("%s cannot be checked: no output directory given", shown)
			continue
		}
		b, err := fs.ReadFile(output, p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			fail("%s does not exist: Flux would fail on the overlay. Make it, encrypted, with\n  %s\n(cht-gen docs/kubernetes.md, SOPS), or remove credentials.sopsFile and flux.sopsSecret", shown, kustomize.SOPSCommand(e, shown))
		case err != nil:
			fail("%s: %v", shown, err)
		default:
			if err := secrets.CheckSOPSFile(e, b); err != nil {
				fail("%s %v", shown, err)
				continue
			}
			out[p] = b
		}
	}
	return out, errors.Join(errs...)
}

// WithUserFiles is set plus the user's files, for building only.
func WithUserFiles(set, user files.Set) files.Set {
	if len(user) == 0 {
		return set
	}
	out := make(files.Set, len(set)+len(user))
	for p, b := range set {
		out[p] = b
	}
	for p, b := range user {
		out[p] = b
	}
	return out
}

// encryptedSecret takes e's SOPS-encrypted Secret out of a built overlay:
// it is the user's, checked by secrets.CheckSOPSFile, and its values are
// not decodable before Flux decrypts them. Flux decrypts each value on its
// own (SOPS binds a value to its key path, and kustomize-controller does not
// check the file's MAC), so the labels and namespace the overlay sets on it
// do no harm.
func encryptedSecret(e *model.Environment, docs [][]byte) ([][]byte, error) {
	if e.Credentials.SOPSFile == "" {
		return docs, nil
	}
	out := docs[:0:0]
	found := false
	for _, doc := range docs {
		var got struct {
			Kind     string         `json:"kind"`
			SOPS     map[string]any `json:"sops"`
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := json.Unmarshal(doc, &got); err != nil {
			return nil, err
		}
		if got.SOPS != nil && got.Kind == "Secret" && got.Metadata.Name == e.Credentials.SecretName {
			found = true
			continue
		}
		out = append(out, doc)
	}
	if !found {
		return nil, fmt.Errorf("the overlay builds no SOPS-encrypted Secret %s from %s", e.Credentials.SecretName, e.Credentials.SOPSFile)
	}
	return out, nil
}
