// Package gitops renders what a reconciler needs to follow the rendered
// overlays: per cluster, Flux Kustomizations and a GitRepository
// (clusters/<cluster>/), or Argo CD Applications / an ApplicationSet
// (argocd/<cluster>/). Environments only name their cluster and reconciler;
// everything else comes from the model.
package gitops
