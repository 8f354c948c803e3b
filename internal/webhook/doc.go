// Package webhook delivers outbound events: an engine that leases due
// deliveries from the store (lethe.DeliveryStore), POSTs each signed body
// to its subscription's URL with a dialer that refuses private addresses,
// and writes the results back in batches (docs/webhooks.md).
package webhook
