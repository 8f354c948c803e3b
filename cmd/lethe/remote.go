package main

import (
	"github.com/lethehq/lethe/client"
	"github.com/spf13/pflag"
)

// remote holds the flags of the subcommands that talk to a running server.
type remote struct {
	server, tenant, key *string
}

func remoteFlags(fs *pflag.FlagSet) remote {
	r := remote{
		server: fs.String("server", "http://127.0.0.1:8080", "server URL"),
		tenant: fs.String("tenant", "", "tenant id"),
		key:    fs.String("key", "", "the tenant's API key"),
	}
	bindEnv(fs, "server", "LETHE_SERVER")
	bindEnv(fs, "tenant", "LETHE_TENANT")
	bindEnv(fs, "key", "LETHE_API_KEY")
	return r
}

func (r remote) client(cmd string) (*client.Client, error) {
	if *r.tenant == "" || *r.key == "" {
		return nil, usageError{cmd + ": --tenant and --key (or LETHE_TENANT and LETHE_API_KEY) are required"}
	}
	return client.New(*r.server, *r.tenant, *r.key), nil
}

// defaultDB is the SQLite file used when neither --db nor LETHE_DB is set.
const defaultDB = "./lethe-data/lethe.db"

// dbFlag is --db, bound to LETHE_DB.
func dbFlag(fs *pflag.FlagSet) *string {
	p := fs.String("db", defaultDB, "database: a SQLite file path or a postgres:// URL")
	bindEnv(fs, "db", "LETHE_DB")
	return p
}
