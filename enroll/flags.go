package enroll

// Flags holds the template flag words decoded into named booleans. Values are
// from MS-XCEP 3.1.4.1.3.4 and, where XCEP is silent, MS-CRTD.
type Flags struct {
	// subjectNameFlags
	EnrolleeSuppliesSubject          bool `json:"enrolleeSuppliesSubject,omitempty"`          // 0x00000001
	OldCertSuppliesSubjectAndAltName bool `json:"oldCertSuppliesSubjectAndAltName,omitempty"` // 0x00000008
	EnrolleeSuppliesSubjectAltName   bool `json:"enrolleeSuppliesSubjectAltName,omitempty"`   // 0x00010000
	SANRequireDomainDNS              bool `json:"sanRequireDomainDNS,omitempty"`              // 0x00400000
	SANRequireSPN                    bool `json:"sanRequireSPN,omitempty"`                    // 0x00800000
	SANRequireDirectoryGUID          bool `json:"sanRequireDirectoryGUID,omitempty"`          // 0x01000000
	SANRequireUPN                    bool `json:"sanRequireUPN,omitempty"`                    // 0x02000000
	SANRequireEmail                  bool `json:"sanRequireEmail,omitempty"`                  // 0x04000000
	SANRequireDNS                    bool `json:"sanRequireDNS,omitempty"`                    // 0x08000000
	SubjectRequireDNSAsCN            bool `json:"subjectRequireDNSAsCN,omitempty"`            // 0x10000000
	SubjectRequireEmail              bool `json:"subjectRequireEmail,omitempty"`              // 0x20000000
	SubjectRequireCommonName         bool `json:"subjectRequireCommonName,omitempty"`         // 0x40000000
	SubjectRequireDirectoryPath      bool `json:"subjectRequireDirectoryPath,omitempty"`      // 0x80000000

	// enrollmentFlags
	IncludeSymmetricAlgorithms   bool `json:"includeSymmetricAlgorithms,omitempty"`   // 0x00000001
	PendAllRequests              bool `json:"pendAllRequests,omitempty"`              // 0x00000002
	PublishToDS                  bool `json:"publishToDS,omitempty"`                  // 0x00000008
	CheckExistingDSCert          bool `json:"checkExistingDSCert,omitempty"`          // 0x00000010
	RenewalSignedWithExistingKey bool `json:"renewalSignedWithExistingKey,omitempty"` // 0x00000040
	UserInteractionRequired      bool `json:"userInteractionRequired,omitempty"`      // 0x00000100
	RemoveInvalidCerts           bool `json:"removeInvalidCerts,omitempty"`           // 0x00000400
	ReuseKeyOnFullSmartcard      bool `json:"reuseKeyOnFullSmartcard,omitempty"`      // 0x00002000
	AllowKeyBasedRenewal         bool `json:"allowKeyBasedRenewal,omitempty"`         // 0x00010000

	// privateKeyFlags
	RequireKeyArchival    bool  `json:"requireKeyArchival,omitempty"`    // 0x00000001
	Exportable            bool  `json:"exportable,omitempty"`            // 0x00000010
	StrongKeyProtection   bool  `json:"strongKeyProtection,omitempty"`   // 0x00000020
	RequireSameKeyRenewal bool  `json:"requireSameKeyRenewal,omitempty"` // 0x00000080
	AttestationRequired   bool  `json:"attestationRequired,omitempty"`   // 0x00002000
	MinClientVersion      uint8 `json:"minClientVersion,omitempty"`      // 0x0F000000 >> 24
	MinServerVersion      uint8 `json:"minServerVersion,omitempty"`      // 0x000F0000 >> 16

	// generalFlags
	MachineTemplate bool `json:"machineTemplate,omitempty"` // 0x00000040
	CATemplate      bool `json:"caTemplate,omitempty"`      // 0x00000080
	CrossCATemplate bool `json:"crossCATemplate,omitempty"` // 0x00000800
}

func decodeFlags(subject, enrollment, privateKey, general uint32) Flags {
	s := func(bit uint32) bool { return subject&bit != 0 }
	e := func(bit uint32) bool { return enrollment&bit != 0 }
	k := func(bit uint32) bool { return privateKey&bit != 0 }
	return Flags{
		EnrolleeSuppliesSubject:          s(0x1),
		OldCertSuppliesSubjectAndAltName: s(0x8),
		EnrolleeSuppliesSubjectAltName:   s(0x10000),
		SANRequireDomainDNS:              s(0x400000),
		SANRequireSPN:                    s(0x800000),
		SANRequireDirectoryGUID:          s(0x1000000),
		SANRequireUPN:                    s(0x2000000),
		SANRequireEmail:                  s(0x4000000),
		SANRequireDNS:                    s(0x8000000),
		SubjectRequireDNSAsCN:            s(0x10000000),
		SubjectRequireEmail:              s(0x20000000),
		SubjectRequireCommonName:         s(0x40000000),
		SubjectRequireDirectoryPath:      s(0x80000000),
		IncludeSymmetricAlgorithms:       e(0x1),
		PendAllRequests:                  e(0x2),
		PublishToDS:                      e(0x8),
		CheckExistingDSCert:              e(0x10),
		RenewalSignedWithExistingKey:     e(0x40),
		UserInteractionRequired:          e(0x100),
		RemoveInvalidCerts:               e(0x400),
		ReuseKeyOnFullSmartcard:          e(0x2000),
		AllowKeyBasedRenewal:             e(0x10000),
		RequireKeyArchival:               k(0x1),
		Exportable:                       k(0x10),
		StrongKeyProtection:              k(0x20),
		RequireSameKeyRenewal:            k(0x80),
		AttestationRequired:              k(0x2000),
		MinClientVersion:                 uint8(privateKey >> 24 & 0x0F),
		MinServerVersion:                 uint8(privateKey >> 16 & 0x0F),
		MachineTemplate:                  general&0x40 != 0,
		CATemplate:                       general&0x80 != 0,
		CrossCATemplate:                  general&0x800 != 0,
	}
}
