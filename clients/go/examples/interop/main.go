// Command interop drives a live verifyd through the generated grpc-go client,
// the way test/interop/go.test.ts runs it: Start, Watch in the background, a
// wrong and then the right Check (the code read from the simulators' outbox,
// GET /sim/outbox on the same port), a fast failover, INVALID_ARGUMENT for a
// number that is none and NOT_FOUND for an unknown id. It prints one JSON
// object per step on stdout and leaves the judging to the test; it exits 1
// when a step cannot be carried out at all.
//
//	go run ./examples/interop -addr 127.0.0.1:8080 -number +12025550100 -failover-number +12025550110
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"
	"unicode"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	verifyv1 "github.com/verifyd/verifyd/clients/go/verify/v1"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "verifyd's host:port")
	number := flag.String("number", "+12025550100", "a number the first provider accepts")
	failoverNumber := flag.String("failover-number", "+12025550110", "a number the first provider rejects")
	flag.Parse()
	if err := run(*addr, *number, *failoverNumber); err != nil {
		emit(map[string]any{"step": "fatal", "error": err.Error()})
		os.Exit(1)
	}
}

func run(addr, number, failoverNumber string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	client := verifyv1.NewVerificationServiceClient(conn)

	started, err := client.Start(ctx, &verifyv1.StartRequest{PhoneNumber: number})
	if err != nil {
		return fmt.Errorf("Start: %w", err)
	}
	v := started.GetVerification()
	emit(map[string]any{"step": "start", "id": v.GetId(), "status": v.GetStatus().String(), "attempts": attempts(v)})

	watched, err := watch(ctx, client, v.GetId())
	if err != nil {
		return err
	}

	code, provider, err := codeFromOutbox(ctx, "http://"+addr, number)
	if err != nil {
		return err
	}
	emit(map[string]any{"step": "outbox", "provider": provider, "code_length": len(code)})

	for _, attempt := range []struct{ name, code string }{{"wrong", wrongCode(code)}, {"right", code}} {
		checked, err := client.Check(ctx, &verifyv1.CheckRequest{VerificationId: v.GetId(), Code: attempt.code})
		if err != nil {
			return fmt.Errorf("Check (%s code): %w", attempt.name, err)
		}
		emit(map[string]any{
			"step":      "check",
			"code":      attempt.name,
			"approved":  checked.GetApproved(),
			"status":    checked.GetVerification().GetStatus().String(),
			"remaining": checked.GetVerification().GetCheckAttemptsRemaining(),
		})
	}

	select {
	case summary := <-watched:
		emit(summary)
	case <-ctx.Done():
		return errors.New("the Watch stream did not end after the verification was verified")
	}

	failover, err := client.Start(ctx, &verifyv1.StartRequest{PhoneNumber: failoverNumber})
	if err != nil {
		return fmt.Errorf("Start (failover): %w", err)
	}
	f := failover.GetVerification()
	emit(map[string]any{"step": "failover", "id": f.GetId(), "status": f.GetStatus().String(), "attempts": attempts(f)})

	_, err = client.Start(ctx, &verifyv1.StartRequest{PhoneNumber: "call me maybe"})
	emit(errorStep("Start", err))
	_, err = client.Get(ctx, &verifyv1.GetRequest{VerificationId: "ver_does_not_exist"})
	emit(errorStep("Get", err))

	emit(map[string]any{"step": "done"})
	return nil
}

// watch opens a Watch stream, waits for its first message (the snapshot) and
// then reads the rest in the background; the channel gets one summary when
// the stream ends.
func watch(ctx context.Context, client verifyv1.VerificationServiceClient, id string) (<-chan map[string]any, error) {
	stream, err := client.Watch(ctx, &verifyv1.WatchRequest{VerificationId: id})
	if err != nil {
		return nil, fmt.Errorf("Watch: %w", err)
	}
	first, err := stream.Recv()
	if err != nil {
		return nil, fmt.Errorf("Watch: the first message: %w", err)
	}
	done := make(chan map[string]any, 1)
	go func() {
		events := []map[string]any{event(first)}
		end := "OK"
		for {
			message, err := stream.Recv()
			if err == io.EOF {
				break
			}
			if err != nil {
				end = codeName(err)
				break
			}
			events = append(events, event(message))
		}
		done <- map[string]any{"step": "watch", "events": events, "end": end}
	}()
	return done, nil
}

func event(message *verifyv1.WatchResponse) map[string]any {
	e := message.GetEvent()
	return map[string]any{"sequence": e.GetSequence(), "type": e.GetType().String(), "status": e.GetVerification().GetStatus().String()}
}

func attempts(v *verifyv1.Verification) []map[string]any {
	out := []map[string]any{}
	for _, a := range v.GetAttempts() {
		out = append(out, map[string]any{"number": a.GetNumber(), "provider": a.GetProvider(), "status": a.GetStatus().String(), "error": a.GetError()})
	}
	return out
}

func errorStep(rpc string, err error) map[string]any {
	if err == nil {
		return map[string]any{"step": "error", "rpc": rpc, "code": "OK"}
	}
	return map[string]any{"step": "error", "rpc": rpc, "code": codeName(err), "message": status.Convert(err).Message()}
}

// codeName spells a gRPC status code as the protocol does: INVALID_ARGUMENT, NOT_FOUND.
func codeName(err error) string {
	switch c := status.Code(err); c {
	case codes.OK:
		return "OK"
	case codes.Canceled:
		return "CANCELLED"
	}
	var name strings.Builder
	for i, r := range status.Code(err).String() {
		if i > 0 && unicode.IsUpper(r) {
			name.WriteByte('_')
		}
		name.WriteRune(unicode.ToUpper(r))
	}
	return name.String()
}

var codePattern = regexp.MustCompile(`\d{4,10}`)

// codeFromOutbox polls GET /sim/outbox?to=<number> until a message is there
// and returns the code in it, as the user would read it, and who sent it.
func codeFromOutbox(ctx context.Context, base, number string) (code, provider string, err error) {
	for {
		request, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/sim/outbox?to="+url.QueryEscape(number), nil)
		if err != nil {
			return "", "", err
		}
		response, err := http.DefaultClient.Do(request)
		if err != nil {
			return "", "", fmt.Errorf("GET /sim/outbox: %w", err)
		}
		var outbox struct {
			Messages []struct{ Provider, Body string } `json:"messages"`
		}
		err = json.NewDecoder(response.Body).Decode(&outbox)
		response.Body.Close()
		if err != nil {
			return "", "", fmt.Errorf("GET /sim/outbox: %w", err)
		}
		if len(outbox.Messages) > 0 {
			first := outbox.Messages[0]
			if code = codePattern.FindString(first.Body); code == "" {
				return "", "", fmt.Errorf("no code in %q", first.Body)
			}
			return code, first.Provider, nil
		}
		select {
		case <-ctx.Done():
			return "", "", fmt.Errorf("no message to %s in the outbox", number)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// wrongCode is another code of the same length: the last digit moved on by one.
func wrongCode(code string) string {
	last := code[len(code)-1]
	return code[:len(code)-1] + string('0'+(last-'0'+1)%10)
}

func emit(line map[string]any) {
	encoded, _ := json.Marshal(line)
	fmt.Println(string(encoded))
}
