package monitoring

import (
	"context"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
)

// settingsName is the name of a region's monitoring settings.
func settingsName(region string) string { return "regions/" + region + "/settings/monitoring" }

// parseSettingsName reads "regions/{region}/settings/monitoring".
func parseSettingsName(field, name string) (string, error) {
	region, id, err := aip.ParseName(field, name, "settings")
	if err != nil || id != "monitoring" {
		return "", errs.InvalidField(field, "%q is not a monitoring settings name: want regions/{region}/settings/monitoring", errs.Clip(name, errs.MaxEcho))
	}
	return region, nil
}

// threshold is the region's threshold for the "behind" flags, in percent:
// the default when the region has set none. Settings that cannot be read
// (a damaged record, DATA_LOSS) are an error, never the default.
func threshold(tx store.ReadTx) (int32, error) {
	st := &famiv1.MonitoringSettings{}
	if _, err := store.Find(tx, settingsName(tx.Region()), st); err != nil {
		return 0, err
	}
	if st.GetBehindThresholdPercent() == 0 {
		return defaultThreshold, nil
	}
	return st.GetBehindThresholdPercent(), nil
}

// GetMonitoringSettings implements fami.v1.MonitoringService.
func (s *Service) GetMonitoringSettings(ctx context.Context, req *famiv1.GetMonitoringSettingsRequest) (*famiv1.MonitoringSettings, error) {
	region, err := parseSettingsName("name", req.GetName())
	if err != nil {
		return nil, err
	}
	st := &famiv1.MonitoringSettings{}
	err = s.store.View(ctx, region, func(tx store.ReadTx) error {
		found, err := store.Find(tx, settingsName(region), st)
		if err == nil && !found {
			st.Name, st.BehindThresholdPercent = settingsName(region), defaultThreshold
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// UpdateMonitoringSettings implements fami.v1.MonitoringService.
func (s *Service) UpdateMonitoringSettings(ctx context.Context, req *famiv1.UpdateMonitoringSettingsRequest) (*famiv1.MonitoringSettings, error) {
	in := req.GetMonitoringSettings()
	if in == nil {
		return nil, errs.InvalidField("monitoring_settings", "is required")
	}
	region, err := parseSettingsName("monitoring_settings.name", in.GetName())
	if err != nil {
		return nil, err
	}
	if t := in.GetBehindThresholdPercent(); t < 0 || t > 100 {
		return nil, errs.InvalidField("monitoring_settings.behind_threshold_percent", "%d is not a percentage from 1 to 100 (0: the default, %d)", t, defaultThreshold)
	}
	return resource.Mutate(ctx, s.store, region, req, func(tx store.WriteTx) (*famiv1.MonitoringSettings, error) {
		cur := &famiv1.MonitoringSettings{}
		switch found, err := store.Find(tx, settingsName(region), cur); {
		case err != nil:
			return nil, err
		case found:
			if err := store.CheckEtag(cur, in.GetEtag()); err != nil {
				return nil, err
			}
		}
		next := &famiv1.MonitoringSettings{Name: settingsName(region), BehindThresholdPercent: in.GetBehindThresholdPercent()}
		if next.BehindThresholdPercent == 0 {
			next.BehindThresholdPercent = defaultThreshold
		}
		return next, tx.Put(next)
	})
}
