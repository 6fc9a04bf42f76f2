//go:build !linux && !darwin && !windows

package app

import (
	"context"
	"fmt"
	"runtime"
)

// Other systems (the BSDs, ...): no scheduler glue yet. The job can still be
// added by hand, e.g. a crontab line running "certdesk pulse -context user".

func defaultJobDir(pulseJob) (string, error) { return "", unsupportedSchedule() }

func installJob(context.Context, CommandRunner, pulseJob, string) ([]string, error) {
	return nil, unsupportedSchedule()
}

func removeJob(context.Context, CommandRunner, pulseJob, string) ([]string, error) {
	return nil, unsupportedSchedule()
}

func jobStatus(context.Context, CommandRunner, pulseJob, string) (ScheduleStatus, error) {
	return ScheduleStatus{}, unsupportedSchedule()
}

func unsupportedSchedule() error {
	return fmt.Errorf("%w (%s): add a cron job that runs \"certdesk pulse\" every 8 hours", ErrScheduleUnsupported, runtime.GOOS)
}
