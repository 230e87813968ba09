package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
)

// cmdCeiling runs the trivial in-memory server the benchmark compares with:
// the same four requests as a payment lifecycle, no database, no signatures.
// Its throughput is the HTTP ceiling of the machine.
func cmdCeiling(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("bench-ceiling", "[--addr HOST:PORT]", "getpaid bench-ceiling --addr 127.0.0.1:0")
	addr := fs.String("addr", "127.0.0.1:0", "address to listen on")
	if err := fs.parse(args); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, ln.Addr().String())
	return serveUntilDone(ctx, ln, ceilingHandler(), nil)
}

type ceilingPayment struct {
	ID       string            `json:"id"`
	OrderID  string            `json:"order_id"`
	Status   string            `json:"status"`
	Amount   string            `json:"amount"`
	Currency string            `json:"currency"`
	Backend  string            `json:"backend"`
	Redirect map[string]string `json:"redirect,omitempty"`
}

func ceilingHandler() http.Handler {
	var mu sync.Mutex
	payments := map[string]*ceilingPayment{}
	var seq atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/backends", func(w http.ResponseWriter, r *http.Request) {
		writeJSONc(w, 200, []map[string]string{{"name": "dummy"}})
	})
	mux.HandleFunc("POST /api/v1/payments", func(w http.ResponseWriter, r *http.Request) {
		var in map[string]any
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			w.WriteHeader(400)
			return
		}
		p := &ceilingPayment{ID: "pay_" + strconv.FormatInt(seq.Add(1), 10), Status: "prepared", Backend: "dummy"}
		p.OrderID, _ = in["order_id"].(string)
		p.Amount, _ = in["amount"].(string)
		p.Currency, _ = in["currency"].(string)
		p.Redirect = map[string]string{"method": "GET", "url": "http://127.0.0.1/pay?payment_id=" + p.ID}
		mu.Lock()
		payments[p.ID] = p
		mu.Unlock()
		writeJSONc(w, 201, p)
	})
	mux.HandleFunc("GET /api/v1/payments/{id}", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		p, ok := payments[r.PathValue("id")]
		var cp ceilingPayment
		if ok {
			cp = *p
		}
		mu.Unlock()
		if !ok {
			w.WriteHeader(404)
			return
		}
		writeJSONc(w, 200, cp)
	})
	mux.HandleFunc("POST /callback/dummy", func(w http.ResponseWriter, r *http.Request) {
		var in map[string]string
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			w.WriteHeader(400)
			return
		}
		mu.Lock()
		if p, ok := payments[in["payment_id"]]; ok {
			p.Status = in["status"]
		}
		mu.Unlock()
		writeJSONc(w, 200, map[string]string{"status": "ok"})
	})
	return mux
}

func writeJSONc(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
