package main

import (
	"flag"

	"github.com/lethehq/lethe/client"
)

// remote holds the flags of the subcommands that talk to a running server.
type remote struct {
	server, tenant, key *string
}

func remoteFlags(fs *flag.FlagSet, e env) remote {
	return remote{
		server: fs.String("server", envOr(e, "LETHE_SERVER", "http://127.0.0.1:8080"), "server URL (env LETHE_SERVER)"),
		tenant: fs.String("tenant", envOr(e, "LETHE_TENANT", ""), "tenant id (env LETHE_TENANT)"),
		key:    fs.String("key", envOr(e, "LETHE_API_KEY", ""), "the tenant's API key (env LETHE_API_KEY)"),
	}
}

func (r remote) client(cmd string) (*client.Client, error) {
	if *r.tenant == "" || *r.key == "" {
		return nil, usageError{cmd + ": --tenant and --key (or LETHE_TENANT and LETHE_API_KEY) are required"}
	}
	return client.New(*r.server, *r.tenant, *r.key), nil
}
