/*
 * bcryptprimitives.dll for Wine 8.0 (Debian 12), which lacks it: Go 1.24
 * and later load ProcessPrng from it at start-up. This one fills the buffer
 * from RtlGenRandom (advapi32 SystemFunction036), which Wine has.
 * Built by scripts/wine.sh with mingw-w64; used only to run certdesk's
 * Windows binaries under Wine in tests, never shipped.
 */
#include <windows.h>
#include <ntsecapi.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
	while (len > 0) {
		ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
		if (!RtlGenRandom(data, n))
			return FALSE;
		data += n;
		len -= n;
	}
	return TRUE;
}
