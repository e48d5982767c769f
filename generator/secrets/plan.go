package secrets

import (
	"fmt"

	"github.com/cht-gen/cht-gen/generator/model"
)

// Result is what `cht-gen secrets` made for one environment.
type Result struct {
	Env string
	// Body is the credentials file (Generate): printed or written, never
	// logged.
	Body []byte
	// Note says where the environment really takes its Secret from when
	// that is not what Body is applied to (credentials.sopsFile, an
	// ExternalSecret); empty otherwise.
	Note string
}

// Plan makes new credentials for e (Generate) and the note on where they
// go. An environment that runs already is refused with a *RunningError
// unless opts.ReplaceRunning. On other errors the Result still holds the
// note, which was decided first.
func Plan(e *model.Environment, opts Options) (*Result, error) {
	r := &Result{Env: e.Name}
	switch {
	case e.Existing && !opts.ReplaceRunning:
		return nil, &RunningError{Env: e}
	case e.Credentials.SOPSFile != "" && !opts.SecretOnly:
		r.Note = fmt.Sprintf("%s takes its Secret from credentials.sopsFile %s; to make that file: cht-gen secrets %s --secret-only | sops --encrypt ... (cht-gen docs/kubernetes.md, SOPS)", e.Name, e.Credentials.SOPSFile, e.Name)
	case e.Credentials.ExternalSecret != nil:
		r.Note = fmt.Sprintf("%s renders an ExternalSecret that fills Secret %s from %s; put these values in the store (key %s), or the operator overwrites what you apply", e.Name, e.Credentials.SecretName, e.Credentials.ExternalSecret.StoreName, e.Credentials.ExternalSecret.RemoteKey)
	}
	body, err := Generate(e, opts)
	if err != nil {
		return r, err
	}
	r.Body = body
	return r, nil
}
