package bundle

import "syscall"

// underWine: this windows test binary runs under Wine (.ci/wine/test.sh).
func underWine() bool {
	return syscall.NewLazyDLL("ntdll.dll").NewProc("wine_get_version").Find() == nil
}
