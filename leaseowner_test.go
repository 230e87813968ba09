package getpaid_test

import (
	"errors"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
)

// Every delivery lease a plan is asked for names its owner: the create's,
// the first change's riding on it (opts.Then), an update's. An ownerless
// one is refused with nothing planned; one naming its owner is planned.
func TestPlansRefuseAnOwnerlessLease(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	owned := &getpaid.DeliveryLease{Owner: "disp_1", Now: now, Until: now.Add(time.Minute)}
	ownerless := &getpaid.DeliveryLease{Now: now, Until: now.Add(time.Minute)}
	pay := func() *getpaid.Payment {
		return &getpaid.Payment{ID: "pay_1", OrderID: "o", Backend: "dummy", Status: getpaid.StatusNew,
			Amount: getpaid.MustParseMoney("10.00", "PLN")}
	}
	prepare := func(l *getpaid.DeliveryLease) *getpaid.Mutation {
		return &getpaid.Mutation{Cause: "prepared", Lease: l, Apply: func(p *getpaid.Payment) (bool, error) {
			p.Status = getpaid.StatusPrepared
			return true, nil
		}}
	}
	for _, tc := range []struct {
		name string
		plan func(l *getpaid.DeliveryLease) (*getpaid.UpdateResult, error)
	}{
		{"create", func(l *getpaid.DeliveryLease) (*getpaid.UpdateResult, error) {
			return getpaid.PlanCreate(pay(), getpaid.CreateOptions{Lease: l}, now)
		}},
		{"create's first change", func(l *getpaid.DeliveryLease) (*getpaid.UpdateResult, error) {
			return getpaid.PlanCreate(pay(), getpaid.CreateOptions{Then: prepare(l)}, now)
		}},
		{"update", func(l *getpaid.DeliveryLease) (*getpaid.UpdateResult, error) {
			return getpaid.PlanUpdate(pay(), nil, *prepare(l), now)
		}},
	} {
		if res, err := tc.plan(ownerless); !errors.Is(err, getpaid.ErrInvalidRequest) || res != nil {
			t.Errorf("%s with an ownerless lease: %+v, %v; want ErrInvalidRequest and nothing planned", tc.name, res, err)
		}
		if _, err := tc.plan(owned); err != nil {
			t.Errorf("%s with its owner's lease: %v", tc.name, err)
		}
	}
}
