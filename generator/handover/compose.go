package handover

import (
	"fmt"

	"github.com/cht-gen/cht-gen/generator/model"
)

// ComposeOptions tune a Compose handover.
//
// Placeholder: h-vm's compose.go (the Compose steps) replaces this file at
// merge; it keeps these names.
type ComposeOptions struct{}

// Compose plans the handover of a Compose environment.
func Compose(e *model.Environment, o ComposeOptions) (Plan, error) {
	return Plan{}, fmt.Errorf("environment %s: the Compose handover is not in this build", e.Name)
}
