package importer

// dococd sets gitops: "doco-cd" when import was asked for it, and says
// what the host does on the VM before starting the agent: the upgrade
// service is off under doco-cd (it would rewrite the files the agent
// deploys), and its running container must be stopped by hand.
func (m *composeMapper) dococd() {
	switch m.opts.GitOps {
	case "":
		return
	case "doco-cd":
	default:
		m.fail(Pos{File: "--gitops"}, "gitops", "%q: want doco-cd (or leave --gitops out for the fleet's choice)", m.opts.GitOps)
		return
	}
	m.env.Set("gitops", str("doco-cd"), Pos{})
	if f := find(m.dir, "docker-compose.yml"); f != "" {
		m.note(Pos{File: f}, "upgrade-service", "gitops doco-cd: the upgrade service is left out (the agent owns the compose files); before starting the agent, stop it on the VM: docker compose -f upgrade-service/docker-compose.yml down (never -v)")
	}
	m.note(Pos{File: m.dir}, "gitops", "doco-cd deploys this VM under the compose project its containers run as today (project): start the agent once (the rendered folder's README); it recreates each container in place, with the same data folders and named volumes")
}
