package main

import "github.com/spf13/cobra"

// subcommands lists the top-level commands, in help order.
func subcommands() []*cobra.Command {
	return []*cobra.Command{
		newLintCmd(),
		newTestCmd(),
		newBuildCmd(),
		newInspectCmd(),
		newDiffCmd(),
		newReplayCmd(),
		newPushCmd(),
		newPullCmd(),
		newSignCmd(),
		newVerifyCmd(),
		newPublishCmd(),
		newKeygenCmd(),
		newRegistryCmd(),
		newCertsCmd(),
		newParseCmd(),
		newVersionCmd(),
	}
}
