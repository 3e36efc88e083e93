//go:build !windows

package nizepack_test

// underWine is false off Windows (see script_wine_windows_test.go).
func underWine() bool { return false }
