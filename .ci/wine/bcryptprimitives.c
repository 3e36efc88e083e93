/*
 * bcryptprimitives.dll for Wine 8, which lacks it: Go's runtime (>= 1.22) calls ProcessPrng
 * from this DLL at start and dies without it. ProcessPrng fills the buffer from
 * SystemFunction036 (RtlGenRandom) of advapi32, which Wine has. Test harness only
 * (.ci/wine/test.sh builds it with mingw and copies it into the Wine prefix's system32).
 */
#include <windows.h>

typedef BOOLEAN (WINAPI *rtlgenrandom_fn)(PVOID, ULONG);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
	static rtlgenrandom_fn gen;
	if (!gen) {
		HMODULE advapi = LoadLibraryA("advapi32.dll");
		if (!advapi)
			return FALSE;
		gen = (rtlgenrandom_fn)GetProcAddress(advapi, "SystemFunction036");
		if (!gen)
			return FALSE;
	}
	while (len > 0) {
		ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
		if (!gen(data, n))
			return FALSE;
		data += n;
		len -= n;
	}
	return TRUE;
}

BOOL WINAPI DllMain(HINSTANCE inst, DWORD reason, LPVOID reserved)
{
	(void)inst; (void)reason; (void)reserved;
	return TRUE;
}
