package client_test

import (
	"context"
	"fmt"
	"log"

	"github.com/lethehq/lethe/client"
)

// A joiner, a leaver and an erasure request, as an HR integration sends them.
// (The example needs a running server, so it is compiled but not run.)
func Example() {
	ctx := context.Background()
	c := client.New("http://127.0.0.1:8080", "demo", "demo-api-key")

	u, err := c.CreateUser(ctx, "EMP042", client.UserFields{
		FirstName: client.Ptr("Mary"),
		LastName:  client.Ptr("Somerville"),
		Email:     client.Ptr("mary.somerville@example.com"),
		JobTitle:  client.Ptr("Mathematician"),
	})
	switch {
	case client.IsConflict(err):
		log.Fatal("EMP042 already exists")
	case err != nil:
		log.Fatal(err)
	}
	fmt.Println("created", u.ID)

	if _, err := c.SuspendUser(ctx, "EMP042", nil); err != nil {
		log.Fatal(err)
	}

	// Walk every inactive user, page by page.
	for u, err := range c.AllUsers(ctx, client.SearchParams{Status: client.StatusInactive}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(u.ID, u.Deleted)
	}

	// Erase the person; the learning records stay under the id.
	if err := c.DeleteUser(ctx, "EMP042"); err != nil {
		log.Fatal(err)
	}
	receipt, err := c.GetErasure(ctx, u.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("erased at", receipt.ErasedAt)
}

func ExampleClient_SendProvisioningEvent() {
	ctx := context.Background()
	c := client.New("http://127.0.0.1:8080", "demo", "demo-api-key")
	res, err := c.SendProvisioningEvent(ctx, client.ProvisioningEvent{
		ID:   "hr-event-0001",
		Type: client.EventUserJoined,
		Ref:  "EMP043",
		Fields: client.UserFields{
			FirstName: client.Ptr("Emmy"),
			LastName:  client.Ptr("Noether"),
			Email:     client.Ptr("emmy.noether@example.com"),
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Outcome, res.Replayed)
}
