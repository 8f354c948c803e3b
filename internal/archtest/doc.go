// Package archtest checks the repository's layering and function-length rules
// (docs/layout.md) on its non-test Go files. It holds only a test: go test
// ./internal/archtest, which make check runs with every other package.
package archtest
