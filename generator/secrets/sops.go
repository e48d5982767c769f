package secrets

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	sigsyaml "sigs.k8s.io/yaml"

	"github.com/cht-gen/cht-gen/generator/kustomize"
	"github.com/cht-gen/cht-gen/generator/model"
)

// CheckSOPSFile checks that b, e's credentials.sopsFile, is one
// SOPS-encrypted manifest of e's credentials Secret, with every credential
// key and no value in clear. Errors name keys, never values. (The overlay
// sets its namespace.)
func CheckSOPSFile(e *model.Environment, b []byte) error {
	docs, err := kustomize.SplitYAML(b)
	if err != nil {
		return fmt.Errorf("is not YAML: %v", err)
	}
	var nonEmpty [][]byte
	for _, d := range docs {
		if len(bytes.TrimSpace(stripComments(d))) > 0 {
			nonEmpty = append(nonEmpty, d)
		}
	}
	if len(nonEmpty) != 1 {
		return fmt.Errorf("holds %d YAML documents: it must hold one, the Secret %s (made with --secret-only)", len(nonEmpty), e.Credentials.SecretName)
	}
	var obj struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name string `json:"name"`
		} `json:"metadata"`
		Data       map[string]any `json:"data"`
		StringData map[string]any `json:"stringData"`
		SOPS       *struct {
			MAC string `json:"mac"`
		} `json:"sops"`
	}
	if err := sigsyaml.Unmarshal(nonEmpty[0], &obj); err != nil {
		return fmt.Errorf("is not a Kubernetes manifest: %v", err)
	}
	var problems []string
	if obj.SOPS == nil || obj.SOPS.MAC == "" {
		problems = append(problems, "is not SOPS-encrypted (no sops: metadata with a mac)")
	}
	if obj.APIVersion != "v1" || obj.Kind != "Secret" || obj.Metadata.Name != e.Credentials.SecretName {
		problems = append(problems, fmt.Sprintf("holds %s %s %q, not the v1 Secret %q", obj.APIVersion, obj.Kind, obj.Metadata.Name, e.Credentials.SecretName))
	}
	// Every value of data and stringData must be encrypted, whether or not
	// the same key is also given, encrypted, in the other map.
	var missing, clear []string
	for _, m := range []map[string]any{obj.StringData, obj.Data} {
		for k, v := range m {
			if s, isString := v.(string); !isString || !strings.HasPrefix(s, "ENC[") {
				clear = append(clear, k)
			}
		}
	}
	for _, k := range model.CredentialKeys {
		_, inString := obj.StringData[k]
		if _, inData := obj.Data[k]; !inString && !inData {
			missing = append(missing, k)
		}
	}
	sort.Strings(clear)
	if len(missing) > 0 {
		problems = append(problems, "lacks key(s) "+strings.Join(missing, ", "))
	}
	if len(clear) > 0 {
		problems = append(problems, "holds key(s) "+strings.Join(clear, ", ")+" in clear (encrypt with --encrypted-regex '^(data|stringData)$')")
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

// stripComments drops whole-line comments, so a document of comments only
// counts as empty.
func stripComments(doc []byte) []byte {
	var out [][]byte
	for _, line := range bytes.Split(doc, []byte("\n")) {
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] != '#' {
			out = append(out, line)
		}
	}
	return bytes.Join(out, []byte("\n"))
}
