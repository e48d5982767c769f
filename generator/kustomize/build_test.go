package kustomize_test

import (
	"slices"
	"testing"

	"github.com/cht-gen/cht-gen/generator/files"
	"github.com/cht-gen/cht-gen/generator/kustomize"
)

// The Index must list exactly what a build of each dir reads, or a
// verified build could be keyed on less than it read.
func TestIndex_InputsAreWhatABuildReads(t *testing.T) {
	set := files.Set{
		kustomize.BaseDir + "/kustomization.yaml":                   nil,
		kustomize.BaseDir + "/api.yaml":                             nil,
		kustomize.Base5Dir + "/kustomization.yaml":                  nil,
		kustomize.SingleDir + "/kustomization.yaml":                 nil,
		kustomize.OverlaysDir + "/a/kustomization.yaml":             nil,
		kustomize.OverlaysDir + "/a/README.md":                      nil,
		kustomize.OverlaysDir + "/a-b/kustomization.yaml":           nil,
		kustomize.OverlaysDir + "/ab/kustomization.yaml":            nil,
		kustomize.OverlaysDir + "/b/patch.yaml":                     nil,
		"clusters/c0/kustomization.yaml":                            nil,
		"compose/x/docker-compose.yaml":                             nil,
		kustomize.Root + "/componentsx/not-a-component.yaml":        nil,
		kustomize.Root + "/components/upgrade-service/service.yaml": nil,
	}
	for _, dir := range []string{
		kustomize.OverlaysDir + "/a", kustomize.OverlaysDir + "/ab", kustomize.OverlaysDir + "/b",
		kustomize.OverlaysDir + "/none", "clusters/c0", kustomize.BaseDir, kustomize.SingleDir, kustomize.Root,
	} {
		scan, indexed := kustomize.Inputs(set, dir), kustomize.NewIndex(set).Inputs(dir)
		if !slices.Equal(scan, indexed) {
			t.Errorf("%s: Index lists %v, a scan %v", dir, indexed, scan)
		}
		if !slices.Contains(scan, kustomize.BaseDir+"/api.yaml") || slices.Contains(scan, "compose/x/docker-compose.yaml") {
			t.Errorf("%s: inputs %v", dir, scan)
		}
	}
	if got := kustomize.Inputs(set, kustomize.OverlaysDir+"/a"); slices.Contains(got, kustomize.OverlaysDir+"/ab/kustomization.yaml") || slices.Contains(got, kustomize.OverlaysDir+"/a/README.md") {
		t.Errorf("overlay a reads %v", got)
	}
}
