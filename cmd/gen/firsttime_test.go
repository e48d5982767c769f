package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/cht-gen/cht-gen/generator/files"
	"github.com/cht-gen/cht-gen/generator/kustomize"
)

// renderedTree reads a rendered output directory back into a Set.
func renderedTree(t *testing.T, out string) files.Set {
	t.Helper()
	set := files.Set{}
	err := filepath.Walk(out, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(out, p)
		b, err := os.ReadFile(p)
		set[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

type k8sObject struct {
	Kind     string
	Metadata struct {
		Name, Namespace string
		Labels          map[string]string
		Annotations     map[string]string
	}
}

func k8sObjects(t *testing.T, stream []byte) []k8sObject {
	t.Helper()
	docs, err := kustomize.SplitYAML(stream)
	if err != nil {
		t.Fatal(err)
	}
	var out []k8sObject
	for _, d := range docs {
		var o k8sObject
		if err := yaml.Unmarshal(d, &o); err != nil {
			t.Fatal(err)
		}
		if o.Kind != "" {
			out = append(out, o)
		}
	}
	return out
}

// TestSecrets_PrintsTheOverlaysNamespaceFirst: the Namespace `secrets`
// prints is the one the overlay builds (labels and annotations), so the
// reconciler's first apply adopts it unchanged; the Secret carries the
// labels the overlay gives its objects.
func TestSecrets_PrintsTheOverlaysNamespaceFirst(t *testing.T) {
	out := filepath.Join(t.TempDir(), "deploy")
	if code, _, errs := runCLI(t, "render", "-e", "../../environments", "--out", out); code != 0 {
		t.Fatal(errs)
	}
	set := renderedTree(t, out)
	for _, env := range []string{"uat", "prod", "partner-a"} {
		t.Run(env, func(t *testing.T) {
			built, err := kustomize.Build(set, "kubernetes/overlays/"+env)
			if err != nil {
				t.Fatal(err)
			}
			var want k8sObject
			for _, o := range k8sObjects(t, built) {
				if o.Kind == "Namespace" {
					want = o
				}
			}
			code, stdout, errs := runCLI(t, "secrets", env, "-e", "../../environments")
			if code != 0 {
				t.Fatal(errs)
			}
			got := k8sObjects(t, []byte(stdout))
			if len(got) != 2 || got[0].Kind != "Namespace" || got[1].Kind != "Secret" {
				t.Fatalf("want a Namespace then a Secret:\n%s", stdout)
			}
			ns, secret := got[0], got[1]
			if ns.Metadata.Name != want.Metadata.Name || fmt.Sprint(ns.Metadata.Labels) != fmt.Sprint(want.Metadata.Labels) ||
				fmt.Sprint(ns.Metadata.Annotations) != fmt.Sprint(want.Metadata.Annotations) || len(want.Metadata.Annotations) == 0 {
				t.Errorf("printed Namespace %+v, overlay builds %+v", ns.Metadata, want.Metadata)
			}
			if secret.Metadata.Namespace != want.Metadata.Name || fmt.Sprint(secret.Metadata.Labels) != fmt.Sprint(want.Metadata.Labels) {
				t.Errorf("Secret %+v: want namespace %s and labels %v", secret.Metadata, want.Metadata.Name, want.Metadata.Labels)
			}
		})
	}
	code, stdout, _ := runCLI(t, "secrets", "dev", "-e", "../../environments")
	if code != 0 || strings.Contains(stdout, "kind:") || !strings.Contains(stdout, "COUCHDB_PASSWORD=") {
		t.Errorf("compose secrets changed:\n%s", stdout)
	}
}

// e2eTool finds a tool on PATH or in ~/.cache/cht-tools/bin, where
// ../shared/tools/install.sh puts it; "" when it is in neither.
func e2eTool(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	home, _ := os.UserHomeDir()
	p := filepath.Join(home, ".cache", "cht-tools", "bin", name)
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return ""
}

// apiserverTools finds etcd, kube-apiserver and kubectl on PATH or in
// ~/.cache/cht-tools/bin (../shared/tools/install.sh); make e2e puts them on PATH.
func apiserverTools(t *testing.T) (etcd, apiserver, kubectl string) {
	t.Helper()
	etcd, apiserver, kubectl = e2eTool("etcd"), e2eTool("kube-apiserver"), e2eTool("kubectl")
	if etcd == "" || apiserver == "" || kubectl == "" {
		t.Skipf("no real kube-apiserver here (etcd %q, kube-apiserver %q, kubectl %q): install them with ../shared/tools/install.sh (README there), then make e2e", etcd, apiserver, kubectl)
	}
	return
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startAPIServer runs etcd and kube-apiserver with their default admission
// plugins (NamespaceLifecycle on: objects in a missing namespace are
// refused, as on a real cluster) and returns a kubeconfig.
func startAPIServer(t *testing.T, etcd, apiserver, kubectl string) string {
	t.Helper()
	dir := t.TempDir()
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	os.WriteFile(filepath.Join(dir, "sa.key"), pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600)
	os.WriteFile(filepath.Join(dir, "sa.pub"), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600)
	os.WriteFile(filepath.Join(dir, "tokens.csv"), []byte("test-token,admin,admin-uid,system:masters\n"), 0o600)
	ep, pp, ap := freePort(t), freePort(t), freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	var procs []*exec.Cmd
	t.Cleanup(func() {
		cancel()
		for _, p := range procs {
			p.Wait()
		}
	})
	start := func(name string, args ...string) {
		log, _ := os.Create(filepath.Join(dir, filepath.Base(name)+".log"))
		c := exec.CommandContext(ctx, name, args...)
		c.Stdout, c.Stderr = log, log
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		procs = append(procs, c)
	}
	start(etcd, "--name", "t", "--data-dir", filepath.Join(dir, "etcd"),
		fmt.Sprintf("--listen-client-urls=http://127.0.0.1:%d", ep), fmt.Sprintf("--advertise-client-urls=http://127.0.0.1:%d", ep),
		fmt.Sprintf("--listen-peer-urls=http://127.0.0.1:%d", pp), fmt.Sprintf("--initial-advertise-peer-urls=http://127.0.0.1:%d", pp),
		fmt.Sprintf("--initial-cluster=t=http://127.0.0.1:%d", pp))
	start(apiserver, fmt.Sprintf("--etcd-servers=http://127.0.0.1:%d", ep), "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", ap), "--endpoint-reconciler-type=none", "--cert-dir="+filepath.Join(dir, "pki"),
		"--token-auth-file="+filepath.Join(dir, "tokens.csv"), "--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local", "--service-account-key-file="+filepath.Join(dir, "sa.pub"),
		"--service-account-signing-key-file="+filepath.Join(dir, "sa.key"), "--service-cluster-ip-range=10.0.0.0/24")
	kubeconfig := filepath.Join(dir, "kubeconfig")
	os.WriteFile(kubeconfig, []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: t, cluster: {server: "https://127.0.0.1:%d", insecure-skip-tls-verify: true}}]
users: [{name: admin, user: {token: test-token}}]
contexts: [{name: t, context: {cluster: t, user: admin}}]
current-context: t
`, ap)), 0o600)
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{TLSClientConfig: insecureTLS()}}
	deadline := time.Now().Add(90 * time.Second)
	for {
		req, _ := http.NewRequest("GET", fmt.Sprintf("https://127.0.0.1:%d/readyz", ap), nil)
		req.Header.Set("Authorization", "Bearer test-token")
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "kube-apiserver.log"))
			t.Fatalf("kube-apiserver not ready in 90s:\n%s", tail(log, 20))
		}
		time.Sleep(200 * time.Millisecond)
	}
	return kubeconfig
}

func tail(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// TestFirstTimeFlow_OnAKubeAPIServer runs the README's first-time order on a
// fresh cluster: `cht-gen secrets ENV | kubectl apply -f -` before anything
// else, then the reconciler's first apply of the overlay (a server-side
// apply by kustomize-controller's field manager, as Flux does). Both must
// succeed, the Namespace must come out as the overlay renders it, and the
// Secret must still hold the credentials of the first step.
func TestFirstTimeFlow_OnAKubeAPIServer(t *testing.T) {
	kc := kubectlOnAFreshAPIServer(t)
	out := filepath.Join(t.TempDir(), "deploy")
	if code, _, errs := runCLI(t, "render", "-e", "../../environments", "--out", out); code != 0 {
		t.Fatal(errs)
	}
	set := renderedTree(t, out)
	for _, env := range []string{"uat", "prod"} {
		code, creds, errs := runCLI(t, "secrets", env, "-e", "../../environments")
		if code != 0 {
			t.Fatal(errs)
		}
		if o, err := kc([]byte(creds), "apply", "-f", "-"); err != nil {
			t.Fatalf("%s: cht-gen secrets | kubectl apply -f - on a fresh cluster: %v\n%s", env, err, o)
		}
		ns := "cht-" + env
		before, err := kc(nil, "-n", ns, "get", "secret", "cht-couchdb-credentials", "-o", "jsonpath={.data.COUCHDB_PASSWORD}")
		if err != nil || before == "" {
			t.Fatalf("%s: Secret not created: %v", env, err)
		}
		built, err := kustomize.Build(set, "kubernetes/overlays/"+env)
		if err != nil {
			t.Fatal(err)
		}
		if o, err := kc(built, "apply", "--server-side", "--field-manager=kustomize-controller", "--force-conflicts", "-f", "-"); err != nil {
			t.Fatalf("%s: the reconciler's first apply after secrets: %v\n%s", env, err, o)
		}
		got, _ := kc(nil, "get", "namespace", ns, "-o", "jsonpath={.metadata.labels.app\\.kubernetes\\.io/instance} {.metadata.annotations.kustomize\\.toolkit\\.fluxcd\\.io/prune}")
		if got != env+" disabled" {
			t.Errorf("%s: namespace labels/annotations %q", env, got)
		}
		after, _ := kc(nil, "-n", ns, "get", "secret", "cht-couchdb-credentials", "-o", "jsonpath={.data.COUCHDB_PASSWORD}")
		if after != before {
			t.Errorf("%s: the overlay's apply changed the credentials Secret", env)
		}
		if o, err := kc(nil, "-n", ns, "get", "deploy", "cht-api"); err != nil {
			t.Errorf("%s: overlay not applied: %s", env, o)
		}
	}
}

// kubectlOnAFreshAPIServer starts a real kube-apiserver for the test (or
// skips, naming the install command) and returns kubectl bound to it.
func kubectlOnAFreshAPIServer(t *testing.T) func(stdin []byte, args ...string) (string, error) {
	etcd, apiserver, kubectl := apiserverTools(t)
	kubeconfig := startAPIServer(t, etcd, apiserver, kubectl)
	return func(stdin []byte, args ...string) (string, error) {
		c := exec.Command(kubectl, append([]string{"--kubeconfig", kubeconfig}, args...)...)
		c.Stdin = bytes.NewReader(stdin)
		b, err := c.CombinedOutput()
		return string(b), err
	}
}

func insecureTLS() *tls.Config { return &tls.Config{InsecureSkipVerify: true} } // the test's own apiserver, self-signed

// TestMoveTo5x_OnAKubeAPIServer applies what a reconciler applies when a
// 4.x tenant moves to 5.x, server-side as Flux does: prod 4.22.0 -> 5.2.0 in
// one step, staging 4.22.0 -> 5.0.0 -> 5.1.0. Deployments whose strategy
// Medic leaves to the apiserver used to be refused on the move to
// Recreate ("spec.strategy.rollingUpdate: Forbidden"), stopping the whole
// environment.
func TestMoveTo5x_OnAKubeAPIServer(t *testing.T) {
	kc := kubectlOnAFreshAPIServer(t)
	dir := t.TempDir()
	envs, out := filepath.Join(dir, "environments"), filepath.Join(dir, "deploy")
	os.CopyFS(envs, os.DirFS("../../environments"))
	setVersions(t, envs, map[string]string{"prod": "4.22.0", "staging": "4.22.0"})
	apply := func(env string) {
		t.Helper()
		built, err := kustomize.Build(renderedTree(t, out), "kubernetes/overlays/"+env)
		if err != nil {
			t.Fatal(err)
		}
		if o, err := kc(built, "apply", "--server-side", "--field-manager=kustomize-controller", "--force-conflicts", "-f", "-"); err != nil {
			t.Fatalf("%s: server-side apply: %v\n%s", env, err, o)
		}
	}
	if code, _, errs := runCLI(t, "render", "-e", envs, "--out", out); code != 0 {
		t.Fatal(errs)
	}
	apply("prod")
	apply("staging")
	for _, step := range []struct{ env, to string }{{"prod", "5.2.0"}, {"staging", "5.0.0"}, {"staging", "5.1.0"}} {
		if code, _, errs := runCLI(t, "bump", step.env, "--to", step.to, "-e", envs, "--out", out); code != 0 {
			t.Fatalf("bump %s --to %s: %s", step.env, step.to, errs)
		}
		apply(step.env)
	}
	for _, ns := range []string{"cht-prod", "cht-staging"} {
		got, _ := kc(nil, "-n", ns, "get", "deploy", "cht-haproxy", "cht-sentinel", "cht-api", "-o", "jsonpath={range .items[*]}{.spec.strategy.type} {end}")
		if got != "Recreate Recreate Recreate " {
			t.Errorf("%s: strategies after the move %q, want Recreate (Medic's 5.1.0+)", ns, got)
		}
	}
}
