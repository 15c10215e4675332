// Command quickstart sends a code to a phone number through verifyd and
// checks the code typed in reply.
//
//	go run ./examples/quickstart -addr localhost:8080 +12025550100
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	verifyv1 "github.com/verifyd/verifyd/clients/go/verify/v1"
)

func main() {
	addr := flag.String("addr", "localhost:8080", "verifyd's host:port")
	flag.Parse()

	// verifyd speaks plaintext HTTP/2 on its port; put TLS credentials here when a proxy terminates TLS.
	conn, err := grpc.NewClient(*addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	client := verifyv1.NewVerificationServiceClient(conn)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	started, err := client.Start(ctx, &verifyv1.StartRequest{PhoneNumber: flag.Arg(0)})
	if err != nil {
		log.Fatal(err) // an invalid number is codes.InvalidArgument, with the reason in the message
	}
	id := started.GetVerification().GetId()
	fmt.Printf("%s: %s\ncode: ", id, started.GetVerification().GetStatus())

	code, _ := bufio.NewReader(os.Stdin).ReadString('\n')
	checked, err := client.Check(ctx, &verifyv1.CheckRequest{VerificationId: id, Code: strings.TrimSpace(code)})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("approved: %t (%s)\n", checked.GetApproved(), checked.GetVerification().GetStatus())
}
