package nizepack_test

import "syscall"

// underWine reports whether this windows binary runs under Wine: Wine's ntdll exports
// wine_get_version, Windows' does not.
func underWine() bool {
	return syscall.NewLazyDLL("ntdll.dll").NewProc("wine_get_version").Find() == nil
}
