package muster_test

import (
	"strings"
	"testing"
	"time"

	"github.com/muster-bot/muster"
)

func TestStartedAndDetected(t *testing.T) {
	declared := time.Date(2026, 12, 7, 10, 30, 0, 0, time.UTC)
	at := func(hhmm string) time.Time {
		tm, err := time.Parse("15:04", hhmm)
		if err != nil {
			t.Fatal(err)
		}
		return declared.Add(time.Duration(tm.Hour()-10)*time.Hour + time.Duration(tm.Minute()-30)*time.Minute)
	}
	newInc := func(t *testing.T) *muster.Incident {
		inc, _, err := muster.NewIncident("Checkout down", muster.DefaultSeverities()[0], false, "U1", declared)
		if err != nil {
			t.Fatal(err)
		}
		inc.ID = 1
		return inc
	}

	t.Run("both default to the declaration", func(t *testing.T) {
		inc := newInc(t)
		if !inc.Started().Equal(declared) || !inc.Detected().Equal(declared) {
			t.Errorf("started %v, detected %v; want both %v", inc.Started(), inc.Detected(), declared)
		}
		if inc.TimeToDetect() != 0 || inc.TimeToDeclare() != 0 {
			t.Errorf("durations %v, %v; want 0", inc.TimeToDetect(), inc.TimeToDeclare())
		}
	})
	t.Run("an earlier detection moves the default start with it", func(t *testing.T) {
		inc := newInc(t)
		if _, err := inc.SetDetected(at("10:10"), "U1", declared); err != nil {
			t.Fatal(err)
		}
		if !inc.Started().Equal(at("10:10")) {
			t.Errorf("started %v; want the detection", inc.Started())
		}
		if inc.TimeToDeclare() != 20*time.Minute {
			t.Errorf("time to declare %v; want 20m", inc.TimeToDeclare())
		}
	})
	t.Run("durations", func(t *testing.T) {
		inc := newInc(t)
		if _, err := inc.SetDetected(at("10:10"), "U1", declared); err != nil {
			t.Fatal(err)
		}
		e, err := inc.SetStarted(at("09:55"), "U1", declared)
		if err != nil {
			t.Fatal(err)
		}
		if e.Kind != muster.EntryTimes || !e.Key || !strings.Contains(e.Text, "09:55") {
			t.Errorf("entry %+v", e)
		}
		inc.Resolve("", "U1", at("11:55"))
		if inc.TimeToDetect() != 15*time.Minute || inc.TimeToResolve() != 2*time.Hour || inc.TimeToMitigate() != 2*time.Hour {
			t.Errorf("detect %v, resolve %v, mitigate %v", inc.TimeToDetect(), inc.TimeToResolve(), inc.TimeToMitigate())
		}
	})
	t.Run("order is enforced, naming the bound", func(t *testing.T) {
		inc := newInc(t)
		if _, err := inc.SetStarted(at("10:31"), "U1", declared); err == nil || !strings.Contains(err.Error(), "declared (2026-12-07T10:30:00Z)") {
			t.Errorf("started after declared: %v", err)
		}
		if _, err := inc.SetDetected(at("10:31"), "U1", declared); err == nil || !strings.Contains(err.Error(), "declared (2026-12-07T10:30:00Z)") {
			t.Errorf("detected after declared: %v", err)
		}
		if _, err := inc.SetStarted(at("10:00"), "U1", declared); err != nil {
			t.Fatal(err)
		}
		if _, err := inc.SetDetected(at("09:59"), "U1", declared); err == nil || !strings.Contains(err.Error(), "impact started (2026-12-07T10:00:00Z)") {
			t.Errorf("detected before started: %v", err)
		}
		if _, err := inc.SetDetected(at("10:20"), "U1", declared); err != nil {
			t.Fatal(err)
		}
		if _, err := inc.SetStarted(at("10:21"), "U1", declared); err == nil || !strings.Contains(err.Error(), "detected (2026-12-07T10:20:00Z)") {
			t.Errorf("started after detected: %v", err)
		}
		if !inc.Started().Equal(at("10:00")) || !inc.Detected().Equal(at("10:20")) {
			t.Errorf("a refused change changed the incident: %v, %v", inc.Started(), inc.Detected())
		}
	})
}
