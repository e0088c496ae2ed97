/* bcryptprimitives.dll for Wine prefixes that lack it (Debian 12's Wine 8.0).
 * Go 1.24+ programs load ProcessPrng from it at start-up and stop when it is
 * missing. This one fills the buffer from advapi32's SystemFunction036
 * (RtlGenRandom), the generator older Go versions used. Test prefixes only:
 * the suite (build/windows/test-cli.sh) builds it and copies it into
 * drive_c/windows/system32; it is never shipped. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
	while (len > 0) {
		ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
		if (!SystemFunction036(data, n))
			return FALSE;
		data += n;
		len -= n;
	}
	return TRUE;
}
