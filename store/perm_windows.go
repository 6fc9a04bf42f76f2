package store

import (
	"errors"

	"golang.org/x/sys/windows"
)

// The DACLs that stand for mode 0700 on Unix, inherited by everything
// below and nothing from above. The machine context's is SYSTEM and
// Administrators only, whoever created the directory (a user could have
// made %ProgramData%\certdesk first and would own it); the others add the
// owner, the user whose profile holds them.
const (
	machineDACL = "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"
	privateDACL = "D:P(A;OICI;FA;;;OW)(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"
)

// restrictDir gives a context's directory its private DACL; Windows
// carries it down to what is already inside. It runs once per opened
// store (at its first Lock), so a directory made by other code, or by an
// older certdesk, is fixed too; a DACL already in place is left alone.
// Without it every user could read the machine context's private keys
// and saved password under %ProgramData%. A file system without ACLs
// (FAT, some network shares) has nothing to set, as 0700 means nothing on
// such a mount on Unix: that is not an error.
func restrictDir(dir string, machine bool) error {
	sddl := privateDACL
	if machine {
		sddl = machineDACL
	}
	if cur, err := windows.GetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT, windows.DACL_SECURITY_INFORMATION); err == nil && cur.String() == sddl {
		return nil // already so: setting it again would walk every file below
	}
	sd, err := windows.SecurityDescriptorFromString(sddl)
	if err != nil {
		return err
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return err
	}
	err = windows.SetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, dacl, nil)
	if errors.Is(err, windows.ERROR_NOT_SUPPORTED) || errors.Is(err, windows.ERROR_INVALID_FUNCTION) {
		return nil
	}
	return err
}
