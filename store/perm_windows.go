package store

import (
	"errors"

	"golang.org/x/sys/windows"
)

// privateDACL is what mode 0700 means on Unix: full control for the
// owner (the user; an elevated process's Administrators), SYSTEM and
// Administrators, inherited by everything created below, nothing from
// above. Without it a directory under %ProgramData% would let every user
// read the machine context's private keys.
const privateDACL = "D:P(A;OICI;FA;;;OW)(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"

// restrictDir gives a directory certdesk created the private DACL. A
// file system without ACLs (FAT, some network shares) has nothing to set:
// that is not an error, as 0700 is none on such a mount on Unix.
func restrictDir(dir string) error {
	err := setPrivateDACL(dir)
	if errors.Is(err, windows.ERROR_NOT_SUPPORTED) || errors.Is(err, windows.ERROR_INVALID_FUNCTION) {
		return nil
	}
	return err
}

func setPrivateDACL(dir string) error {
	sd, err := windows.SecurityDescriptorFromString(privateDACL)
	if err != nil {
		return err
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return err
	}
	return windows.SetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, dacl, nil)
}
