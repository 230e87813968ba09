package engine

import (
	"context"
	"fmt"

	"github.com/getpaid-go/getpaid"
)

// SetFraud records the outcome of a fraud review of payment id through the
// one mutation path: getpaid.FraudCheck while it is reviewed, then
// FraudAccepted or FraudRejected (from unknown straight to either). Any
// other move is refused (a *getpaid.TransitionError, wrapping
// getpaid.ErrForbiddenTransition) and changes nothing; the same outcome
// again is a no-op. None of getpaid's brokers reports a fraud review: this
// is for the merchant's own (a fraud service, a person). It changes neither
// the payment's status nor its money: a rejected payment's money is given
// back by a refund, as the merchant decides.
func (e *Engine) SetFraud(ctx context.Context, id string, to getpaid.FraudStatus) (*getpaid.Payment, error) {
	res, err := e.mutate(ctx, id, getpaid.Mutation{Apply: func(q *getpaid.Payment) (bool, error) {
		if q.Fraud == to {
			return false, nil
		}
		return true, q.SetFraud(to)
	}})
	if err != nil {
		return nil, fmt.Errorf("engine: fraud of %s: %w", id, err)
	}
	return res.Payment, nil
}
