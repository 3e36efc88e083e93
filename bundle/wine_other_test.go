//go:build !windows

package bundle

func underWine() bool { return false }
