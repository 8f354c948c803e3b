package lethe

import (
	"context"
	"time"
)

// Tenant is one organisation. Its API key is stored only as a keyed hash.
type Tenant struct {
	ID        TenantID
	Name      string
	CreatedAt time.Time
}

// TenantService manages tenants and checks their credentials.
type TenantService interface {
	// CreateTenant creates a tenant and returns it with its API key, which is
	// shown once and never stored in clear. An empty id generates one.
	CreateTenant(ctx context.Context, id TenantID, name string) (*Tenant, string, error)
	// FindTenants lists every tenant, oldest first.
	FindTenants(ctx context.Context) ([]*Tenant, error)
	// RotateTenantKey replaces a tenant's API key and returns the new one.
	// ENotFound when there is no such tenant.
	RotateTenantKey(ctx context.Context, id TenantID) (string, error)
	// SetTenantKey sets a tenant's API key to a given value (used by the demo).
	SetTenantKey(ctx context.Context, id TenantID, key string) error
	// Authenticate checks a tenant id and API key in constant time.
	// EUnauthenticated when either is wrong.
	Authenticate(ctx context.Context, id TenantID, key string) (*Tenant, error)
}

// Actor is who is calling: the tenant whose data is reached, and through
// which surface. Every service method reads it from the context and scopes
// every query to Actor.TenantID.
type Actor struct {
	TenantID TenantID
	Source   Source
	Name     string // a non-personal label such as "api-key" or "cli"
}

type actorKey struct{}

// WithActor returns a context that carries a.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor of ctx. EUnauthenticated when there is none, so
// a forgotten tenant scope fails closed.
func ActorFrom(ctx context.Context) (Actor, error) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	if !ok || a.TenantID == "" {
		return Actor{}, Errorf(EUnauthenticated, "No tenant in context.")
	}
	return a, nil
}
