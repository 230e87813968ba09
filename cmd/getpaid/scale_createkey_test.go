package main

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/getpaid-go/getpaid/httpapi"
)

// TestScaleCreateKey: a shop's create, retried with its Idempotency-Key
// while the first try is still running, reaches two servers on one
// database at the same moment, four copies each for 50 orders: every copy
// answers 201 with the one payment of its order, and the database holds
// 50 payments.
func TestScaleCreateKey(t *testing.T) {
	t.Parallel()
	const orders, copies = 50, 4
	c := newCluster(t, 2, clusterConfig{})
	var wg sync.WaitGroup
	got := make([][copies]string, orders)
	for i := range orders {
		order := fmt.Sprintf("o-key-%d", i)
		req := map[string]any{"order_id": order, "amount": "10.00", "currency": "PLN", "backend": "dummy",
			"description": "order " + order, "buyer": map[string]string{"email": "buyer@example.com"}}
		start := make(chan struct{})
		for k := range copies {
			wg.Go(func() {
				<-start
				var p httpapi.PaymentJSON
				if status := api(t, "POST", c.insts[k%2].url+"/api/v1/payments", req, map[string]string{"Idempotency-Key": "key-" + order}, &p); status != http.StatusCreated {
					t.Errorf("order %d, copy %d: HTTP %d", i, k, status)
					return
				}
				got[i][k] = p.ID
			})
		}
		close(start)
	}
	wg.Wait()
	for i, ids := range got {
		for k := range copies {
			if ids[k] == "" || ids[k] != ids[0] {
				t.Errorf("order %d: copies answered payments %v, want one", i, ids)
				break
			}
		}
	}
	if n := c.count("SELECT count(*) FROM payments"); n != orders {
		t.Errorf("%d payments stored, want %d", n, orders)
	}
}
